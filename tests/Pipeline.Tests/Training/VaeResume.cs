using Pipeline.Models.Vae;
using Pipeline.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>A VAE run of <c>settings.Steps</c> steps, and the same run stopped after one step, saved, loaded into a
/// fresh trainer and finished, write byte-identical training states.</summary>
static class VaeResume
{
    public static void AssertBitExact(AutoencoderKLConfig config, ITrainingData data, VaeTrainingSettings settings, long seed = 6)
    {
        var dir = Directory.CreateTempSubdirectory("vae-resume").FullName;
        try
        {
            string straight = Path.Combine(dir, "a"), half = Path.Combine(dir, "h"), resumed = Path.Combine(dir, "b");
            manual_seed(seed);
            using (var v = new AutoencoderKL(config)) using (var t = new VaeTrainer(v, data, settings)) { t.Train(); t.SaveState(straight); }
            manual_seed(seed);
            using (var v = new AutoencoderKL(config)) using (var t = new VaeTrainer(v, data, settings)) { t.Train(stopAt: 1); t.SaveState(half); }
            using (var v = new AutoencoderKL(config)) using (var t = new VaeTrainer(v, data, settings)) { t.LoadState(half); t.Train(); t.SaveState(resumed); }
            Assert.True(File.ReadAllBytes(straight).AsSpan().SequenceEqual(File.ReadAllBytes(resumed)), $"a resumed run differs ({settings.ComputeDType?.ToString() ?? "float32"} compute)");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
