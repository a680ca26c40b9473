using System.Diagnostics;
using Pipeline.Models.Bundles;
using Pipeline.Models.Vae;
using Pipeline.Runtime;
using Pipeline.Training;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>
/// Steps/s of the trainers on the tiny default's architecture (batch 64 diffusion, batch 32 VAE, 64×64). Runs only with
/// PIPELINE_TRAIN_BENCH=threads (e.g. 1 or 2); otherwise returns at once.
/// </summary>
public class TrainingBenchmark(ITestOutputHelper output)
{
    [Fact]
    public void Trainer_steps_per_second()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("PIPELINE_TRAIN_BENCH"), out int threads)) return;
        TorchRuntime.Configure(new RuntimeSettings(threads));
        try
        {
            manual_seed(0);
            using var model = SdxlModel.Create(SdxlModelConfig.TinyBase);
            using (var diffusion = new DiffusionTrainer(model, new FakeTrainingData(64, 64, 64), new DiffusionTrainingSettings { Steps = 8 }))
                output.WriteLine($"DiffusionTrainer TinyBase batch 64 @64x64, {threads} thread(s): {Rate(diffusion, 2, 8):F2} steps/s");
            manual_seed(0);
            using var vae = new AutoencoderKL(SdxlModelConfig.TinyBase.Vae);
            using (var trainer = new VaeTrainer(vae, new FakeTrainingData(32, 64, 64), new VaeTrainingSettings { Steps = 6 }))
                output.WriteLine($"VaeTrainer TinyBase VAE batch 32 @64x64, {threads} thread(s): {Rate(trainer, 1, 6):F2} steps/s");
        }
        finally { TorchRuntime.Configure(RuntimeSettings.SingleThreaded); }
    }

    static double Rate(Trainer trainer, long warmup, long total)
    {
        trainer.Train(stopAt: warmup);
        var clock = Stopwatch.StartNew();
        trainer.Train(stopAt: total);
        return (total - warmup) / clock.Elapsed.TotalSeconds;
    }
}
