using Pipeline.Models.Vae;
using Pipeline.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>Mixed-precision training: a bf16 <see cref="ComputeCopy"/> computes, the float32 master learns.</summary>
public class MixedPrecisionTrainingTests(ITestOutputHelper output)
{
    static AutoencoderKLConfig Vae => new(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 1], NumResBlocks: 1, AttnResolutions: [], ZChannels: 4,
        DoubleZ: true, Resolution: 32, InChannels: 3, OutCh: 3, NormGroups: 8);

    [Fact]
    public void A_compute_copy_rounds_the_master_in_and_hands_float32_gradients_back()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11, CPU);
        var master = nn.Sequential(nn.Linear(8, 16), nn.SiLU(), nn.Linear(16, 4));
        using (no_grad()) foreach (var p in master.parameters()) p.copy_(randn(p.shape, generator: generator));
        using var copy = new ComputeCopy(master, nn.Sequential(nn.Linear(8, 16, dtype: ScalarType.BFloat16), nn.SiLU(), nn.Linear(16, 4, dtype: ScalarType.BFloat16)));
        Assert.Equal(ScalarType.BFloat16, copy.DType);
        var pairs = master.named_parameters().Zip(copy.Module.named_parameters()).ToList();
        foreach (var ((name, m), (_, c)) in pairs)
            Assert.True(c.eq(m.to(ScalarType.BFloat16)).all().item<bool>(), $"{name} is not the master rounded to bf16");

        var x = randn(new long[] { 5, 8 }, generator: generator).to(ScalarType.BFloat16);
        ((nn.Module<Tensor, Tensor>)copy.Module).call(x).to(ScalarType.Float32).square().sum().backward();
        var copyGrads = pairs.Select(p => p.Second.parameter.grad!.clone()).ToList();
        copy.PushGradients();
        for (int i = 0; i < pairs.Count; i++)
        {
            var (name, m) = pairs[i].First;
            Assert.Equal(ScalarType.Float32, m.grad!.dtype);
            Assert.True(m.grad.eq(copyGrads[i].to(ScalarType.Float32)).all().item<bool>(), $"{name}: the master's gradient is not the copy's");
            Assert.Null(pairs[i].Second.parameter.grad);
        }
        // A second backward accumulates onto the master's gradient, as two backward passes through one module would.
        ((nn.Module<Tensor, Tensor>)copy.Module).call(x).to(ScalarType.Float32).square().sum().backward();
        copy.PushGradients();
        for (int i = 0; i < pairs.Count; i++)
            Assert.True(pairs[i].First.parameter.grad!.eq(2 * copyGrads[i].to(ScalarType.Float32)).all().item<bool>());

        // The master moves; the copy follows only when pulled.
        using (no_grad()) foreach (var p in master.parameters()) p.add_(1.0);
        Assert.False(pairs[0].Second.parameter.eq(pairs[0].First.parameter.to(ScalarType.BFloat16)).all().item<bool>());
        copy.PullWeights();
        Assert.True(pairs[0].Second.parameter.eq(pairs[0].First.parameter.to(ScalarType.BFloat16)).all().item<bool>());
        master.Dispose();
    }

    [Fact]
    public void A_compute_copy_of_another_structure_or_of_a_half_precision_master_is_refused()
    {
        using var master = nn.Linear(8, 16);
        Assert.Contains("differ", Assert.Throws<ArgumentException>(() => new ComputeCopy(master, nn.Linear(8, 16, hasBias: false, dtype: ScalarType.BFloat16))).Message);
        Assert.Contains("master [16, 8], copy [8, 16]", Assert.Throws<ArgumentException>(() => new ComputeCopy(master, nn.Linear(16, 8, dtype: ScalarType.BFloat16))).Message);
        using var half = nn.Linear(8, 16, dtype: ScalarType.BFloat16);
        Assert.Contains("must be float32", Assert.Throws<ArgumentException>(() => new ComputeCopy(half, nn.Linear(8, 16, dtype: ScalarType.BFloat16))).Message);
        Assert.Contains("compute dtype", Assert.Throws<ArgumentException>(() => new VaeTrainingSettings { ComputeDType = ScalarType.Int8 }.Validate()).Message);
    }

    /// <summary>
    /// A bf16-compute VAE step computes the float32 step's loss and gradient within bf16 rounding (2⁻⁶ of their size,
    /// as for one bf16 convolution), the VAE learns, its weights stay float32, and a resumed run is bit-exact. (Whole
    /// trajectories are not compared: AdamW's sign-like first updates make two runs that differ in the last bits part
    /// ways within a few dozen steps, in float32 alone across CPUs.)
    /// </summary>
    [Fact]
    public void Mixed_precision_vae_training_computes_the_float32_step_and_resumes_exactly()
    {
        var data = new FakeTrainingData(4, 32, 32, seed: 9, repeatFirstBatch: true);
        var settings = new VaeTrainingSettings { Steps = 40, LearningRate = 2e-3, WarmupSteps = 3, Seed = 4, KlWeight = 1e-5, L2Weight = 1.0, EdgeWeight = 0.5 };
        manual_seed(5);
        using var init = new AutoencoderKL(Vae);
        var start = init.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        List<TrainingProgress> Run(ScalarType? compute)
        {
            using var vae = new AutoencoderKL(Vae);
            using (no_grad()) foreach (var (name, t) in vae.state_dict()) t.copy_(start[name]);
            var steps = new List<TrainingProgress>();
            using (var trainer = new VaeTrainer(vae, data, settings with { ComputeDType = compute }))
                trainer.Train(new TrainingCallbacks(steps.Add));
            Assert.Equal(ScalarType.Float32, vae.ComputeDType);
            Assert.All(vae.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            return steps;
        }
        var fp32 = Run(null);
        var bf16 = Run(ScalarType.BFloat16);
        double bound = Math.Pow(2, -6);
        double lossError = Math.Abs(bf16[0].Loss - fp32[0].Loss) / fp32[0].Loss;
        double gradError = Math.Abs(bf16[0].GradNorm - fp32[0].GradNorm) / fp32[0].GradNorm;
        double first = bf16.Take(5).Average(p => p.Loss), last = bf16.TakeLast(5).Average(p => p.Loss);
        output.WriteLine($"first step: loss {fp32[0].Loss:F5} vs bf16 compute {bf16[0].Loss:F5} ({lossError:E2}), gradient norm {fp32[0].GradNorm:F4} vs {bf16[0].GradNorm:F4} ({gradError:E2}); bound {bound:E2}");
        output.WriteLine($"loss over 40 steps: float32 {fp32.Take(5).Average(p => p.Loss):F4} → {fp32.TakeLast(5).Average(p => p.Loss):F4}, bf16 compute {first:F4} → {last:F4}");
        Assert.True(lossError <= bound, $"first-step loss {bf16[0].Loss} vs float32 {fp32[0].Loss}");
        Assert.True(gradError <= bound, $"first-step gradient norm {bf16[0].GradNorm} vs float32 {fp32[0].GradNorm}");
        Assert.NotEqual(fp32[0].Loss, bf16[0].Loss);   // it did compute in bf16
        Assert.True(last < 0.9 * first, $"the bf16-compute VAE did not learn: {first} → {last}");

        VaeResume.AssertBitExact(Vae, data, settings with { Steps = 4, ComputeDType = ScalarType.BFloat16 });
        foreach (var t in start.Values) t.Dispose();
    }
}
