// sdxl run recipes/shipped-gates.csx [--checkpoint BASE] [--refiner REFINER] [--seeds 20251126,1,2,3,4,5]
// Measures the rows behind the shipped-model gates (tests/Pipeline.Tests/Training/ShippedModelTests.cs) once per seed:
// prompt fidelity and the SDEdit / handoff refiner on 48 samples (all three, sharpness over the base's, outline error), sharpness at originals 16 and 128, crop (0,0) and
// (16,16) cut rates on 96. The gates are each metric's mean minus three standard deviations over the seeds.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var refiner = Stages.LoadRefiner(Args.Get<string?>("refiner", null));
var square = new ImageSize(64, 64);
var metrics = new Dictionary<string, List<double>>();
void Add(string name, double value) { if (!metrics.TryGetValue(name, out var list)) metrics[name] = list = new(); list.Add(value); }
EvaluationRow Row(EvaluationSettings s, ImageSize? original = null, CropCoords crop = default, RefinerMode? mode = null)
{
    var refine = mode is { } m ? TinyEvaluation.RefinerFor(refiner, Registry, s, m) : null;
    var (row, preview) = TinyEvaluation.Row(model, Registry, s, "gates", "row", square, original, crop, refine: refine);
    preview.Dispose();
    return row;
}
foreach (var seed in Args.Get("seeds", "20251126,1,2,3,4,5").Split(',').Select(long.Parse))
{
    var s = new EvaluationSettings(SamplesPerRow: 48, BatchSize: 48) with { Seed = seed };
    var crops = s with { SamplesPerRow = 96 };
    var fidelity = Row(s);
    var sdEdit = Row(s, mode: RefinerMode.SDEdit);
    var cut0 = Row(crops).CutRate;
    var cut16 = Row(crops, crop: new CropCoords(16, 16)).CutRate;
    Add("colour", fidelity.Color); Add("background", fidelity.Background); Add("shape", fidelity.Shape); Add("all three", fidelity.All);
    Add("outline error", fidelity.Outline);
    Add("sharpness 128/16", Row(s, new ImageSize(128, 128)).Sharpness / Row(s, new ImageSize(16, 16)).Sharpness);
    Add("crop (0,0) cut rate", cut0); Add("crop gain (16,16) - (0,0)", cut16 - cut0);
    var handoff = Row(s, mode: RefinerMode.Handoff);
    Add("SDEdit all three", sdEdit.All); Add("SDEdit - base", sdEdit.All - fidelity.All); Add("handoff all three", handoff.All);
    Add("SDEdit sharpness / base", sdEdit.Sharpness / fidelity.Sharpness); Add("handoff sharpness / base", handoff.Sharpness / fidelity.Sharpness);
    Add("SDEdit outline error", sdEdit.Outline); Add("handoff outline error", handoff.Outline);
    Progress.Log($"seed {seed}: " + string.Join(", ", metrics.Select(kv => $"{kv.Key} {kv.Value[^1]:F3}")));
}
foreach (var (name, values) in metrics)
{
    double mean = values.Average(), sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Count - 1));
    Progress.Log($"{name}: {mean:F3} ± {sd:F3} (mean - 3 sd {mean - 3 * sd:F3}, mean + 3 sd {mean + 3 * sd:F3})");
}
foreach (var d in new IDisposable[] { refiner, model }) d.Dispose();
$"{metrics.Count} metrics over {metrics.First().Value.Count} seeds"
