// sdxl run recipes/refine.csx --prompt "a red circle on a blue background" [--mode handoff|sdedit|both]
//   [--at 0.8 (handoff: share of base steps)] [--strength 0.3 (sdedit, over the refiner's 200 noise scales)]
//   [--checkpoint BASE] [--refiner REFINER] [--steps N] [--refiner-steps 10] [--cfg X] [--sampler NAME] [--seed 0]
// Base + refiner in both of SDXL's modes, composed from plans: the base plan alone, then the same plan with a refiner
// step (handoff at a sigma boundary without re-noising, or SDEdit). Defaults come from the loaded base model.
// Writes base-<seed>.png and refined-<mode>-<seed>.png, side by side in a labelled grid refine-<seed>.png.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var refiner = Stages.LoadRefiner(Args.Get<string?>("refiner", null));
var d = GenerationDefaults.For(model);
var size = new ImageSize(Args.Get("height", d.Size.Height), Args.Get("width", d.Size.Width));
var basePlan = Registry.TextToImage(model, Args.Require<string>("prompt"), size, Args.Get("sampler", d.Sampler), Args.Get("schedule", d.Schedule),
    Args.Get("steps", d.Steps), Args.Get("cfg", d.CfgScale), Args.Get("seed", 0L), Args.Get("negative", ""));
var mode = Args.Get("mode", "both");
var steps = mode switch
{
    "both" => new[] { RefinerStep.Handoff(refiner, Args.Get("at", 0.8), basePlan.Sampler, basePlan.Guider),
                      RefinerStep.SdEdit(refiner, Args.Get("strength", 0.3), Args.Get("refiner-steps", 10), basePlan.Sampler, basePlan.Guider) },
    "handoff" => new[] { RefinerStep.Handoff(refiner, Args.Get("at", 0.8), basePlan.Sampler, basePlan.Guider) },
    "sdedit" => new[] { RefinerStep.SdEdit(refiner, Args.Get("strength", 0.3), Args.Get("refiner-steps", 10), basePlan.Sampler, basePlan.Guider) },
    _ => throw new ArgumentException($"unknown --mode '{mode}'; valid: handoff, sdedit, both"),
};

var images = new List<Tensor>();
var labels = new List<string>();
foreach (var plan in steps.Select(s => basePlan.WithRefiner(s with { SamplerName = basePlan.Names.Sampler })).Prepend(basePlan))
{
    Progress.Log(plan.Describe());
    using var result = Stages.Run(plan);
    var label = plan.Refiner is { } r ? r.Mode.ToString().ToLowerInvariant() : "base";
    Stages.SavePng(Output, plan.Refiner is null ? $"base-{plan.Seed}.png" : $"refined-{label}-{plan.Seed}.png", result);
    images.Add(result.Images[0].clone());
    labels.Add(label);
}
var grid = Stages.Grid(images, images.Count, columnLabels: labels);
foreach (var image in images) image.Dispose();
// Top-level `using var` is not available in C# scripts: dispose explicitly.
var written = Stages.SavePng(Output, $"refine-{basePlan.Seed}.png", grid);
foreach (var disposable in new IDisposable?[] { grid, refiner, model }) disposable?.Dispose();
written
