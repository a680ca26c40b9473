using Pipeline.Training.World;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training.World;

public class FlatBackgroundDataTests
{
    [Fact]
    public void Every_nth_sample_of_the_stream_is_its_own_background_and_the_others_are_the_worlds()
    {
        var world = new ShapeWorldData(ShapeWorldSettings.Base(77, 6));
        var flat = new FlatBackgroundData(world, every: 4);
        int flats = 0;
        for (long index = 0; index < 3; index++)
        {
            using var scope = NewDisposeScope();
            using var original = world.Batch(index);
            using var mixed = flat.Batch(index);
            var scenes = world.Scenes(index);
            for (int j = 0; j < 6; j++)
            {
                long k = index * 6 + j;
                if (k % 4 == 0)
                {
                    flats++;
                    var bg = scenes[j].Labels.Background;
                    var expected = tensor(new[] { bg.R / 127.5f - 1, bg.G / 127.5f - 1, bg.B / 127.5f - 1 }).reshape(3, 1, 1);
                    Assert.True((mixed.Images[j] - expected).abs().max().item<float>() < 1e-6, $"sample {k} is not a flat {bg.Name} canvas");
                    Assert.Equal($"a plain {bg.Name} background", mixed.Captions[j]);
                    Assert.False(original.Images[j].eq(mixed.Images[j]).all().item<bool>(), $"the world's sample {k} was already flat");
                }
                else
                {
                    Assert.True(original.Images[j].eq(mixed.Images[j]).all().item<bool>(), $"sample {k} changed");
                    Assert.Equal(original.Captions[j], mixed.Captions[j]);
                }
            }
            Assert.Equal(original.OriginalSizes, mixed.OriginalSizes);
            Assert.Equal(original.Crops, mixed.Crops);
        }
        Assert.Equal(5, flats);   // samples 0, 4, 8, 12, 16 of 18
    }

    [Fact]
    public void One_in_fewer_than_two_is_refused()
    {
        var world = new ShapeWorldData(ShapeWorldSettings.Base(1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlatBackgroundData(world, 1));
        Assert.Throws<ArgumentNullException>(() => new FlatBackgroundData(null!, 8));
    }
}
