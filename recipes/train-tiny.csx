// sdxl run recipes/train-tiny.csx [--stage all|vae|base|refiner] [--scale 1.0] [--work .train] [--seed 20251126]
//                                 [--loss-weighting eps|edm|min-snr|v|unit] [--sigma-sampler discrete|edm]
// Trains the embedded default with the library's training API (the same plan as `sdxl train`): the VAE, then the base
// in the SDXL paper's stages in miniature (32x32 → 64x64 → multi-aspect buckets), then the refiner on the first 200
// noise scales with high-quality data. Finished stages are skipped on a rerun. Writes the checkpoints into the output folder.

// Component names are resolved here, at the edge; the plan holds the objects (null keeps sgm's SDXL defaults).
// --loss-weighting replaces the base's eps weighting and the refiner's min-SNR-2 alike.
var weighting = Args.Has("loss-weighting") ? Registry.LossWeighting(Args.Require<string>("loss-weighting")) : null;
var plan = new TinyTrainingPlan(Seed: Args.Get("seed", 20251126L),
    SigmaSampler: Args.Has("sigma-sampler") ? Registry.SigmaSampler(Args.Require<string>("sigma-sampler")) : null)
    .WithLossWeighting(weighting).Scaled(Args.Get("scale", 1.0));
var work = Args.Get("work", ".train");
var lastReport = DateTime.MinValue;
TinyTraining.Run(plan, work, Output.Folder, Args.Get("stage", "all"), e =>
{
    if (e.Message is not null) { Progress.Log($"{e.Stage}: {e.Message}"); return; }
    Progress.Report($"{e.Stage} loss {e.Progress!.Loss:F4}", (int)e.Progress.Step, (int)e.Progress.TotalSteps);
}, Cancellation);
$"checkpoints in {Output.Folder}"
