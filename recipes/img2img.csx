// sdxl run recipes/img2img.csx --image in.png --prompt "a blue square on a white background" [--strength 0.6]
//   [--checkpoint FILE] [--steps 25] [--cfg 2] [--sampler euler] [--seed 0]
// SDEdit from an input image: encodes it, noises it to the schedule point `strength` and denoises towards the prompt.

var checkpoint = Args.Get<string?>("checkpoint", null);
var model = Stages.LoadModel(checkpoint);
var image = Stages.ReadImage(Args.Require<string>("image"));
var settings = new GenerationSettings(
    Prompt: Args.Require<string>("prompt"), NegativePrompt: Args.Get("negative", ""),
    Steps: Args.Get("steps", 25), CfgScale: Args.Get("cfg", checkpoint is null ? 2.0 : 5.0),
    Sampler: Args.Get("sampler", "euler"), Schedule: Args.Get("schedule", "legacy_ddpm"), Seed: Args.Get("seed", 0L));

var result = Stages.ImageToImage(model, image, settings, Args.Get("strength", 0.6));
// Top-level `using var` is not available in C# scripts: dispose explicitly.
var written = Stages.SavePng(Output, $"img2img-{settings.Seed}.png", result);
foreach (var d in new IDisposable?[] { result, image, model }) d?.Dispose();
written
