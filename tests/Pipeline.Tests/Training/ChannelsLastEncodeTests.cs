using Pipeline.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>DiffusionTrainingSettings.ChannelsLastEncode: the same training up to the encoder's rounding, no tensor leaked per step.</summary>
public sealed class ChannelsLastEncodeTests(ITestOutputHelper output)
{
    static DiffusionTrainingSettings Settings(bool channelsLast) => new()
    {
        Steps = 4, LearningRate = 1e-3, WarmupSteps = 1, EmaDecay = 0.9, Seed = 11, ChannelsLastEncode = channelsLast,
    };

    [Fact]
    public void Training_with_channels_last_encoding_follows_the_default_within_rounding_and_leaks_nothing()
    {
        var data = new FakeTrainingData(3, 32, 32, seed: 9);
        var losses = new List<double>[2];
        for (int run = 0; run < 2; run++)
        {
            using var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1);
            using var trainer = new DiffusionTrainer(model, data, Settings(channelsLast: run == 1));
            losses[run] = new List<double> { trainer.TrainStep() };
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            losses[run].Add(trainer.TrainStep());
            losses[run].Add(trainer.TrainStep());
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        output.WriteLine($"default {string.Join(", ", losses[0])}; channels-last {string.Join(", ", losses[1])}");
        // The encoder's float32 rounding (about 1e-6 of the latents, ChannelsLastTests) moves the loss by far less than
        // one step of training moves it; a layout mix-up would scramble the latents and the loss with them.
        for (int i = 0; i < 3; i++) Assert.Equal(losses[0][i], losses[1][i], 1e-3 * losses[0][i]);
        Assert.NotEqual(losses[0][0], losses[0][2]);
    }
}
