using Pipeline.Diagnostics;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Runtime;
using Pipeline.Tests.Generation;
using Pipeline.Tests.Stages;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Diagnostics;

/// <summary>The whole-image benchmark's accounting and the "auto" compute dtype (structure and rules, not speed).</summary>
public sealed class ImageBenchmarkTests
{
    [Fact]
    public void The_image_benchmark_times_every_stage_and_counts_UNet_evaluations()
    {
        ImageBenchmarkReport Bench(string sampler, double cfg) => ImageBenchmark.Run(() => SdxlModel.Create(TinyModels.Base),
            model => TinyPlans.TextToImage(model, steps: 3, seed: 1, cfg: cfg, sampler: sampler), threads: 1);
        var euler = Bench("euler", 2.0);
        Assert.Equal(new[] { "load", "tokenize", "condition", "sample", "decode", "png" }, euler.Stages.Select(s => s.Name));
        Assert.Equal(3, euler.StepSeconds.Count);
        Assert.Equal(3, euler.UnetEvaluations);                       // one per Euler step
        Assert.True(euler.Guided);
        Assert.All(euler.Stages, s => Assert.True(s.Seconds >= 0 && s.PeakResidentBytes >= s.ResidentBytes / 2));
        Assert.True(euler.UnetGflops > 0 && euler.MatmulGflops > 0);
        var heun = Bench("heun", 2.0);
        Assert.Equal(5, heun.UnetEvaluations);                        // two per Heun step, one on the last (σ → 0)
        var unguided = Bench("euler", 1.0);
        Assert.False(unguided.Guided);
        Assert.Equal(euler.UnetGflopPerEvaluation / 2, unguided.UnetGflopPerEvaluation, 6);   // CFG ≤ 1 runs batch 1, not 2
    }

    [Fact]
    public void Auto_precision_is_bf16_only_where_it_pays()
    {
        Assert.Equal(ScalarType.BFloat16, ComputePrecision.Auto(SdxlModelConfig.SdxlBase, CPU, nativeBf16: true).DType);
        Assert.Equal(ScalarType.Float32, ComputePrecision.Auto(SdxlModelConfig.SdxlBase, CPU, nativeBf16: false).DType);
        Assert.Equal(ScalarType.Float32, ComputePrecision.Auto(SdxlModelConfig.TinyBase, CPU, nativeBf16: true).DType);
        Assert.Equal(ScalarType.BFloat16, ComputePrecision.Auto(SdxlModelConfig.TinyBase, new Device("cuda"), nativeBf16: false).DType);
        Assert.Contains("native bf16", ComputePrecision.Auto(SdxlModelConfig.SdxlBase, CPU, nativeBf16: false).Reason);
    }

    [Fact]
    public void The_PNG_parameters_record_the_compute_dtype()
    {
        using var model = SdxlModel.Create(TinyModels.Base, dtype: ScalarType.BFloat16);
        var parameters = PlanParameters.For(TinyPlans.TextToImage(model));
        Assert.Equal("bf16", parameters[0].Extra!["Dtype"]);
    }
}

/// <summary>Per-step allocations are flat: each sampler step creates the same number of tensors (nothing grows with the
/// step index), and every one of them is gone when the run ends.</summary>
public sealed class StepAllocationTests
{
    [Theory]
    [InlineData("euler")]
    [InlineData("dpmpp_2m")]
    [InlineData("euler_ancestral")]
    public void Every_step_creates_the_same_number_of_tensors(string sampler)
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        long Created(int steps)
        {
            var plan = TinyPlans.TextToImage(model, steps: steps, seed: 2, sampler: sampler);
            using var warm = plan.RunLatents();
            var stats = TorchSharp.DisposeScopeManager.Statistics;
            long before = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
            long live = stats.ThreadTotalLiveCount;
            using (var latents = plan.RunLatents()) { }
            Assert.Equal(live, stats.ThreadTotalLiveCount);
            return stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount - before;
        }
        long four = Created(4), six = Created(6), ten = Created(10);
        // Linear in the step count: the per-step cost from 4→6 steps equals that from 6→10 (dpmpp_2m's first step differs, so start at 4).
        Assert.Equal((six - four) / 2.0, (ten - six) / 4.0);
        Assert.True(six > four, "steps create no tensors?");
    }
}
