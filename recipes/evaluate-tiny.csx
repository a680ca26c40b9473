// sdxl run recipes/evaluate-tiny.csx [--checkpoint BASE] [--refiner REFINER] [--samples 200] [--samplers true]
// The SDXL paper in miniature on the embedded default: prompt fidelity, multi-aspect, size conditioning (sharpness),
// crop conditioning (objects cut by the border), the refiner in both modes, a CFG sweep and every registered sampler.
// Writes evaluation.md and one labelled grid per group into the output folder.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var refinerPath = Args.Get<string?>("refiner", null);
var refiner = refinerPath is null && EmbeddedModels.Refiner is null ? null : Stages.LoadRefiner(refinerPath);
var rows = TinyEvaluation.Run(model, refiner, Registry, new EvaluationSettings(SamplesPerRow: Args.Get("samples", 200)), Output.Folder,
    line => Progress.Log(line), includeSamplers: Args.Get("samplers", true));
foreach (var d in new IDisposable?[] { refiner, model }) d?.Dispose();
$"{rows.Count} rows: {Output.PathFor("evaluation.md")}"
