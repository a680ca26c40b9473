using Pipeline.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

public sealed class ActivationPeaksTests
{
    [Theory]
    [InlineData(8, 8)]
    [InlineData(16, 24)]
    public void A_single_spike_scores_one_less_than_the_position_count_and_a_half_split_scores_one(int h, int w)
    {
        using var scope = NewDisposeScope();
        var spike = zeros(2, 3, h, w);
        spike[0, .., 2, 5] = tensor(new[] { 1f, -2f, 3f });
        spike[1, 1, h - 1, 0] = tensor(7f);
        var ratios = ActivationPeaks.PeakRatio(spike).data<float>().ToArray();
        Assert.All(ratios, r => Assert.Equal(h * w - 1, r, 2));

        var halves = zeros(1, 4, h, w);
        halves[.., .., TensorIndex.Slice(0, h / 2), ..] = tensor(1f);
        Assert.Equal(1.0, ActivationPeaks.PeakRatio(halves).item<float>(), 4);

        var flat = full(1, 4, h, w, 3f);
        Assert.True(ActivationPeaks.PeakRatio(flat).item<float>() < 1e-3, "a flat activation has no peak");
    }

    [Fact]
    public void The_observer_sees_every_large_enough_groupnorm_input_by_name_until_disposed()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(("small", nn.GroupNorm(2, 4)), ("conv", nn.Conv2d(4, 4, 1)), ("large", nn.GroupNorm(2, 4)));
        var seen = new List<(string, long)>();
        var handle = ActivationPeaks.ObserveGroupNormInputs(model, (name, x) => seen.Add((name, x.shape[2] * x.shape[3])), minPositions: 64);
        model.call(randn(1, 4, 8, 8));
        model.call(randn(1, 4, 4, 4));   // 16 positions: below the minimum
        handle.Dispose();
        model.call(randn(1, 4, 8, 8));
        Assert.Equal(new[] { ("small", 64L), ("large", 64L) }, seen);
    }
}
