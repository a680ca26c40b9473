using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Pipeline.Training.World;

namespace Pipeline.Benchmarks;

/// <summary>
/// Training-data throughput: one batch of 64 shape-world images (64×64, base settings) rendered with captions and
/// micro-conditioning, as the tiny default's VAE and diffusion stages draw them (was a timed test: under 200 ms).
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class ShapeWorldBenchmark
{
    readonly ShapeWorldData _data = new(ShapeWorldSettings.Base(9, 64));
    long _index;

    [GlobalSetup]
    public void Warm()
    {
        using (_data.Batch(0)) { }
    }

    [Benchmark(Description = "ShapeWorldData.Batch (64 images, 64x64)")]
    public void Batch()
    {
        using (_data.Batch(++_index)) { }
    }

    sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
    }
}
