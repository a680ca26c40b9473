// sdxl run recipes/img2img.csx --image in.png --prompt "a blue square on a white background" [--strength 0.6]
//   [--checkpoint FILE] [--steps N] [--cfg X] [--sampler NAME] [--schedule NAME] [--seed 0]
// SDEdit from an input image: the text-to-image plan with an init image. The executor encodes it, noises it to the
// schedule point `strength` and denoises towards the prompt. Defaults come from the loaded model.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
var image = Stages.ReadImage(Args.Require<string>("image"));
var size = new ImageSize((int)image.shape[2], (int)image.shape[3]);
var plan = Registry.TextToImage(model, Args.Require<string>("prompt"), size, Args.Get("sampler", d.Sampler), Args.Get("schedule", d.Schedule),
        Args.Get("steps", d.Steps), Args.Get("cfg", d.CfgScale), Args.Get("seed", 0L), Args.Get("negative", ""))
    .WithInit(InitInput.FromImage(image, Args.Get("strength", 0.6)));
Progress.Log(plan.Describe());

var result = Stages.Run(plan);
// Top-level `using var` is not available in C# scripts: dispose explicitly.
var written = Stages.SavePng(Output, $"img2img-{plan.Seed}.png", result);
foreach (var disposable in new IDisposable?[] { result, image, model }) disposable?.Dispose();
written
