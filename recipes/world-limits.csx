// sdxl run recipes/world-limits.csx [--checkpoint BASE] [--images 384] [--scenes 2000]
// What the shape world and the VAE allow the base to reach (issue 17's bucket and crop goals):
// 1. per bucket, how often the detector reads the right labels from uncropped data and from its VAE round trip;
// 2. how close uncropped 64x64 objects sit to the border (a model off by a few pixels cuts those).
using Pipeline.Training.World;
using static TorchSharp.torch;

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var vae = model.FirstStage;
int images = Args.Get("images", 384), batch = 64;
foreach (var (h, w) in new[] { (64, 64), (72, 56), (56, 72), (80, 48), (48, 80) })
{
    var data = new ShapeWorldData(ShapeWorldSettings.Base(999, batch) with { Buckets = WorldBuckets.Single(h, w), CropProbability = 0 });
    int n = 0, fromData = 0, fromRoundTrip = 0;
    for (int k = 0; n < images; k++)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var b = data.Batch(k);
        var roundTrip = vae.Decode(vae.Encode(b.Images).Mode()).clamp(-1, 1);
        for (int i = 0; i < b.Images.shape[0] && n < images; i++, n++)
        {
            var labels = ShapeWorld.ParseCaption(b.Captions[i]);
            if (WorldDetector.Detect(((b.Images[i] + 1) / 2).clamp(0, 1)).Matches(labels)) fromData++;
            if (WorldDetector.Detect(((roundTrip[i] + 1) / 2).clamp(0, 1)).Matches(labels)) fromRoundTrip++;
        }
    }
    Progress.Log($"{h}x{w}: all three read from the data {(double)fromData / n:F3}, from its VAE round trip {(double)fromRoundTrip / n:F3} (n {n})");
}
int scenes = Args.Get("scenes", 2000);
var within = new int[8];
var uncropped = ShapeWorldSettings.Base(31, 1) with { CropProbability = 0 };
for (int i = 0; i < scenes; i++)
{
    var s = WorldScenes.Draw(uncropped, new ImageSize(64, 64), 31, i);
    double gap = new[] { s.ObjectTop, s.ObjectLeft, 64 - s.ObjectBottom, 64 - s.ObjectRight }.Min();
    for (int t = 0; t < within.Length; t++) if (gap < t + 1) within[t]++;
}
Progress.Log("uncropped 64x64 objects within N px of a border: " + string.Join(", ", within.Select((c, t) => $"{t + 1}: {(double)c / scenes:F3}")));
model.Dispose();
$"{scenes} scenes, {images} images per bucket"
