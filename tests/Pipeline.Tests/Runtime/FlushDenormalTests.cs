using Pipeline.Runtime;
using Pipeline.Training;
using Pipeline.Tests.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Runtime;

/// <summary>libtorch's flush-denormal switch, for the calling thread; each test restores it (IEEE denormals).</summary>
public class FlushDenormalTests
{
    /// <summary>1e-30 × 1e-10 = 1e-40, a denormal float32 (the smallest normal is 1.18e-38), computed by libtorch on this thread.</summary>
    static float DenormalProduct()
    {
        using var a = tensor(new[] { 1e-30f });
        using var b = tensor(new[] { 1e-10f });
        using var p = a * b;
        return p.item<float>();
    }

    [Fact]
    public void Flushing_makes_a_denormal_product_zero_and_switches_back()
    {
        Assert.True(DenormalProduct() > 0f);
        try
        {
            Assert.True(NativeSwitches.FlushDenormal(true));
            Assert.Equal(0f, DenormalProduct());
        }
        finally { NativeSwitches.FlushDenormal(false); }
        Assert.True(DenormalProduct() > 0f);
    }

    [Fact]
    public void A_trainer_flushes_denormals_only_while_it_trains()
    {
        var data = new FakeTrainingData(2, 32, 32);
        var settings = LatentCacheTests.Settings(2, 0) with { FlushDenormals = true };
        using var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1);
        using var trainer = new DiffusionTrainer(model, data, settings);
        var seen = new List<float>();
        trainer.Train(new TrainingCallbacks(OnStep: _ => seen.Add(DenormalProduct())));
        Assert.Equal(new[] { 0f, 0f }, seen);
        Assert.True(DenormalProduct() > 0f, "the thread has IEEE denormals again after Train");
        using var plain = new DiffusionTrainer(model, data, LatentCacheTests.Settings(2, 0));
        seen.Clear();
        plain.Train(new TrainingCallbacks(OnStep: _ => seen.Add(DenormalProduct())));
        Assert.All(seen, v => Assert.True(v > 0f));
    }
}
