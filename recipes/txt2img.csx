// sdxl run recipes/txt2img.csx --prompt "a red circle on a blue background" [--checkpoint FILE] [--negative TEXT]
//   [--steps 25] [--cfg 2] [--sampler euler] [--schedule legacy_ddpm] [--seed 0] [--width 64] [--height 64] [--batch 1]
// Text to image with the embedded default (or a checkpoint); writes txt2img-<seed>[-i].png into the output folder.

var checkpoint = Args.Get<string?>("checkpoint", null);
var model = Stages.LoadModel(checkpoint);
int size = checkpoint is null ? 64 : 1024;
var settings = new GenerationSettings(
    Prompt: Args.Require<string>("prompt"),
    NegativePrompt: Args.Get("negative", ""),
    Width: Args.Get("width", size), Height: Args.Get("height", size),
    Steps: Args.Get("steps", 25), CfgScale: Args.Get("cfg", checkpoint is null ? 2.0 : 5.0),
    Sampler: Args.Get("sampler", "euler"), Schedule: Args.Get("schedule", "legacy_ddpm"),
    Seed: Args.Get("seed", 0L), BatchSize: Args.Get("batch", 1));

var result = Stages.TextToImage(model, settings);
var written = new List<string>();
for (int i = 0; i < settings.BatchSize; i++)
    written.Add(Stages.SavePng(Output, settings.BatchSize == 1 ? $"txt2img-{settings.Seed}.png" : $"txt2img-{settings.Seed}-{i}.png", result, i));
// Top-level `using var` is not available in C# scripts: dispose explicitly.
foreach (var d in new IDisposable?[] { result, model }) d?.Dispose();
string.Join(Environment.NewLine, written)
