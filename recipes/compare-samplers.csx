// sdxl run recipes/compare-samplers.csx [--prompt "a red circle on a blue background"]
//   [--samplers euler,euler_ancestral,heun,dpmpp_2m,dpm_2,lms] [--steps 5,10,25] [--seed 0] [--cfg 2]
//   [--checkpoint FILE] [--schedule legacy_ddpm]
// A labelled grid: one row per sampler, one column per step count, all from the same seed.

var checkpoint = Args.Get<string?>("checkpoint", null);
var model = Stages.LoadModel(checkpoint);
int size = checkpoint is null ? 64 : 1024;
var samplers = Args.Get("samplers", "euler,euler_ancestral,heun,dpmpp_2m,dpm_2,lms").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var stepCounts = Args.Get("steps", "5,10,25").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
foreach (var name in samplers) Registry.Sampler(name); // fail before any work, listing the valid names

var settings = new GenerationSettings(
    Prompt: Args.Get("prompt", "a red circle on a blue background"), NegativePrompt: Args.Get("negative", ""),
    Width: Args.Get("width", size), Height: Args.Get("height", size), CfgScale: Args.Get("cfg", checkpoint is null ? 2.0 : 5.0),
    Schedule: Args.Get("schedule", "legacy_ddpm"), Seed: Args.Get("seed", 0L));

var cells = new List<Tensor>();
foreach (var sampler in samplers)
    foreach (var steps in stepCounts)
    {
        Cancellation.ThrowIfCancellationRequested();
        using var result = Stages.TextToImage(model, settings with { Sampler = sampler, Steps = steps });
        cells.Add(result.Images[0].clone());
    }
var grid = Stages.Grid(cells, stepCounts.Length, rowLabels: samplers, columnLabels: stepCounts.Select(n => $"{n} steps").ToList());
foreach (var cell in cells) cell.Dispose();
var path = Stages.SavePng(Output, $"compare-samplers-{settings.Seed}.png", grid);
// Top-level `using var` is not available in C# scripts: dispose explicitly.
foreach (var d in new IDisposable?[] { grid, model }) d?.Dispose();
$"{samplers.Length} samplers x {stepCounts.Length} step counts: {path}"
