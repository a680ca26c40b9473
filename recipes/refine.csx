// sdxl run recipes/refine.csx --prompt "a red circle on a blue background" [--mode handoff|sdedit|both]
//   [--at 0.8 (handoff: share of base steps)] [--strength 0.3 (sdedit, over the refiner's 200 noise scales)]
//   [--checkpoint BASE] [--refiner REFINER] [--steps 25] [--refiner-steps 10] [--cfg 2] [--seed 0]
// Base + refiner in both of SDXL's modes: handoff at a sigma boundary without re-noising, and SDEdit.
// Writes base-<seed>.png and refined-<mode>-<seed>.png side by side in a labelled grid refine-<seed>.png.

var checkpoint = Args.Get<string?>("checkpoint", null);
var model = Stages.LoadModel(checkpoint);
var refiner = Stages.LoadRefiner(Args.Get<string?>("refiner", null));
int size = checkpoint is null ? 64 : 1024;
var settings = new GenerationSettings(
    Prompt: Args.Require<string>("prompt"), NegativePrompt: Args.Get("negative", ""),
    Width: Args.Get("width", size), Height: Args.Get("height", size),
    Steps: Args.Get("steps", 25), CfgScale: Args.Get("cfg", checkpoint is null ? 2.0 : 5.0),
    Sampler: Args.Get("sampler", "euler"), Seed: Args.Get("seed", 0L));
var mode = Args.Get("mode", "both");
var modes = mode switch
{
    "both" => new[] { RefinerMode.Handoff, RefinerMode.SDEdit },
    "handoff" => new[] { RefinerMode.Handoff },
    "sdedit" => new[] { RefinerMode.SDEdit },
    _ => throw new ArgumentException($"unknown --mode '{mode}'; valid: handoff, sdedit, both"),
};

var images = new List<Tensor>();
var labels = new List<string> { "base" };
using (var plain = Stages.TextToImage(model, settings))
{
    Stages.SavePng(Output, $"base-{settings.Seed}.png", plain);
    images.Add(plain.Images[0].clone());
}
foreach (var m in modes)
{
    var refine = new RefinerSettings(m, HandoffFraction: Args.Get("at", 0.8), Strength: Args.Get("strength", 0.3),
        Steps: Args.Get("refiner-steps", 10), Sampler: settings.Sampler, CfgScale: settings.CfgScale);
    using var refined = Stages.TextToImageWithRefiner(model, refiner, settings, refine);
    Stages.SavePng(Output, $"refined-{m.ToString().ToLowerInvariant()}-{settings.Seed}.png", refined);
    images.Add(refined.Images[0].clone());
    labels.Add(m.ToString().ToLowerInvariant());
}
var grid = Stages.Grid(images, images.Count, columnLabels: labels);
foreach (var image in images) image.Dispose();
// Top-level `using var` is not available in C# scripts: dispose explicitly.
var written = Stages.SavePng(Output, $"refine-{settings.Seed}.png", grid);
foreach (var d in new IDisposable?[] { grid, refiner, model }) d?.Dispose();
written
