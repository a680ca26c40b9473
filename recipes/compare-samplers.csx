// sdxl run recipes/compare-samplers.csx [--prompt "a red circle on a blue background"]
//   [--samplers euler,euler_ancestral,heun,dpmpp_2m,dpm_2,lms] [--steps 5,10,25] [--seed 0] [--cfg X]
//   [--checkpoint FILE] [--schedule legacy_ddpm] [--width PX] [--height PX]
// A labelled grid: one row per sampler, one column per step count, all from the same seed: one plan, varied with `with`.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
var samplers = Args.Get("samplers", "euler,euler_ancestral,heun,dpmpp_2m,dpm_2,lms").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var stepCounts = Args.Get("steps", "5,10,25").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
foreach (var name in samplers) Registry.Sampler(name); // fail before any work, listing the valid names

var schedule = Args.Get("schedule", d.Schedule);
var size = new ImageSize(Args.Get("height", d.Size.Height), Args.Get("width", d.Size.Width));
var plan = Registry.TextToImage(model, Args.Get("prompt", "a red circle on a blue background"), size, samplers[0], schedule,
    stepCounts[0], Args.Get("cfg", d.CfgScale), Args.Get("seed", 0L), Args.Get("negative", ""));

var cells = new List<Tensor>();
foreach (var sampler in samplers)
    foreach (var steps in stepCounts)
    {
        Cancellation.ThrowIfCancellationRequested();
        using var result = Stages.Run(plan.WithSampler(Registry, sampler).WithSchedule(Registry, schedule, steps));
        cells.Add(result.Images[0].clone());
    }
var grid = Stages.Grid(cells, stepCounts.Length, rowLabels: samplers, columnLabels: stepCounts.Select(n => $"{n} steps").ToList());
foreach (var cell in cells) cell.Dispose();
var path = Stages.SavePng(Output, $"compare-samplers-{plan.Seed}.png", grid);
// Top-level `using var` is not available in C# scripts: dispose explicitly.
foreach (var disposable in new IDisposable?[] { grid, model }) disposable?.Dispose();
$"{samplers.Length} samplers x {stepCounts.Length} step counts: {path}"
