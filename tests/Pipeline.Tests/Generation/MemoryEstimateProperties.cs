using FsCheck;
using FsCheck.Fluent;
using Pipeline.Diagnostics;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>
/// The peak-memory estimate as a gate: every request is either refused (the estimate is over the budget, with a message
/// that names both) before anything is built, or runs, with exactly the estimated weights and a resident-memory
/// growth within the estimate.
/// </summary>
public sealed class MemoryEstimateProperties(ITestOutputHelper output)
{
    [Fact]
    public void Every_request_is_refused_before_allocation_or_runs_within_the_estimate()
    {
        // The runtime's one-time growth (libtorch's thread pools and kernels) is the estimate's Runtime term, paid here.
        Run(new MemoryCase(Pipeline.Tests.Stages.TinyModels.Base, new(32, 32), 2, 3.0, long.MaxValue));
        int refused = 0, ran = 0;
        Prop.ForAll(MemoryCases.Cases, c =>
        {
            var estimate = MemoryEstimate.For(c.Config, c.Size, c.Batch, ScalarType.Float32, guided: c.Cfg != 1.0);
            var problem = estimate.Problem(c.Available, c.Size, c.Batch, ScalarType.Float32, canTile: false);
            if (problem is not null)
            {
                refused++;
                Assert.True(estimate.Peak > c.Available);
                Assert.Contains($"needs about {estimate.Peak >> 20} MiB", problem);
                Assert.Contains($"{c.Available >> 20} MiB is available", problem);
                Assert.Contains("smaller --width/--height", problem);
                return;
            }
            ran++;
            Assert.True(estimate.Peak <= c.Available);
            var (weights, growth) = Run(c);
            output.WriteLine($"{c}: weights {weights} (estimate {estimate.Weights}), growth {growth >> 20} MiB ≤ {(estimate.Peak - estimate.Runtime) >> 20} MiB");
            Assert.Equal(estimate.Weights, weights);
            Assert.True(growth <= estimate.Peak - estimate.Runtime,
                $"{c}: resident memory grew {growth >> 20} MiB, estimate less runtime {(estimate.Peak - estimate.Runtime) >> 20} MiB");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(24));
        output.WriteLine($"refused {refused}, ran {ran}");
        Assert.True(refused > 0 && ran > 0, $"refused {refused}, ran {ran}: both branches must come up");
    }

    /// <summary>Builds the model and runs one step; returns its parameter bytes and the peak resident growth (sampled).</summary>
    static (long Weights, long Growth) Run(MemoryCase c)
    {
        GC.Collect();
        long before = ProcessMemory.Resident(), peak = before;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            do peak = Math.Max(peak, ProcessMemory.Resident());
            while (!done.Wait(1));
        }) { IsBackground = true };
        sampler.Start();
        long weights;
        try
        {
            using var model = SdxlModel.Create(c.Config);
            weights = new nn.Module[] { model.Conditioner, model.Network.DiffusionModel, model.FirstStage }
                .Sum(m => m.parameters().Sum(p => p.numel() * p.ElementSize) + m.buffers().Sum(b => b.numel() * b.ElementSize));
            using var result = TinyPlans.TextToImage(model, steps: 1, size: c.Size, cfg: c.Cfg, batch: c.Batch).Run();
        }
        finally
        {
            done.Set();
            sampler.Join();
        }
        return (weights, peak - before);
    }
}
