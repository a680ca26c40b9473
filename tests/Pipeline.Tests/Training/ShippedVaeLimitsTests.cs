using Pipeline.Models.Bundles;
using Pipeline.Training.World;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>
/// What the shipped tiny VAE cannot do, measured, because two open problems trace back to it: the multicoloured speck
/// in the top-left corner of every image (issue 17) and LoRAs that cannot teach a new colour (issue 13). These tests
/// pin the causes down on the shipped weights; when a retrained VAE removes them they must change with it.
/// </summary>
public sealed class ShippedVaeLimitsTests(ITestOutputHelper output)
{
    static SdxlModel Load() => SdxlModel.Load(EmbeddedModels.Base ?? throw new InvalidOperationException("the embedded default is missing"));

    static Tensor Plain(WorldColor c, int side = 64) =>
        tensor(new[] { c.R / 127.5f - 1, c.G / 127.5f - 1, c.B / 127.5f - 1 }).reshape(1, 3, 1, 1).expand(1, 3, side, side).contiguous();

    /// <summary>
    /// The speck is the decoder's: a plain image reconstructs with its largest error in the top-left 4×4 corner, and at
    /// the last upsampling of the decoder the channel norm peaks right there at many times its mean — a few positions the
    /// network keeps at a huge activation, as StyleGAN's "droplet" artefact does to steer its normalisation statistics
    /// (here the GroupNorms). The training data has no such corner (its top-left is as smooth as the rest).
    /// </summary>
    [Fact]
    public void The_corner_speck_is_a_decoder_activation_spike_in_the_top_left_corner()
    {
        using var model = Load();
        var vae = model.FirstStage;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        double cornerSum = 0, othersSum = 0;
        foreach (var color in ShapeWorld.Colors)
        {
            var x = Plain(color);
            var error = (vae.Decode(vae.Encode(x).Mode()).clamp(-1, 1) - x).abs().mean(new long[] { 0, 1 });   // [64, 64]
            double Corner(int r, int c) => error[r..(r + 4), c..(c + 4)].mean().item<float>();
            double tl = Corner(0, 0), others = (Corner(0, 60) + Corner(60, 0) + Corner(60, 60)) / 3;
            output.WriteLine($"{color.Name}: top-left 4x4 error {tl:F3}, other corners {others:F3}");
            cornerSum += tl;
            othersSum += others;
        }
        output.WriteLine($"mean over the palette: top-left {cornerSum / 8:F3}, other corners {othersSum / 8:F3}");
        Assert.True(cornerSum > 2 * othersSum, $"top-left {cornerSum / 8:F3} vs other corners {othersSum / 8:F3}");

        var data = new ShapeWorldData(ShapeWorldSettings.Base(777, 16) with { Buckets = WorldBuckets.Single(64, 64) });
        using var batch = data.Batch(0);
        Tensor? norm = null;
        vae.Decode(vae.Encode(batch.Images).Mode(), observe: (name, a) =>
        {
            if (name == "decoder.up.1.upsample") norm = a.square().sum(new long[] { 1 }).sqrt().mean(new long[] { 0 }).DetachFromDisposeScope();
        });
        Assert.NotNull(norm);
        using (norm)
        {
            long w = norm!.shape[1];
            long at = norm.flatten().argmax().item<long>();
            double ratio = (norm.max() / norm.mean()).item<float>();
            output.WriteLine($"decoder.up.1 channel norm: max at ({at / w}, {at % w}), {ratio:F1}x its mean");
            Assert.True(at / w < 4 && at % w < 4, $"the strongest activation is at ({at / w}, {at % w}), not in the top-left corner");
            Assert.True(ratio > 5, $"max/mean {ratio:F1}");
        }
    }

    /// <summary>
    /// The VAE was trained on the eight palette colours only and cannot show another: pink (250, 120, 190) comes back
    /// near-white, so no adapter of the UNet or the text encoders can make the default draw pink — the LoRA trained on it
    /// raises "pink object" only from 0 to 2–8 %. Palette colours come back close.
    /// </summary>
    [Fact]
    public void The_vae_turns_a_colour_outside_its_palette_into_another_one()
    {
        using var model = Load();
        var vae = model.FirstStage;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        float[] RoundTrip(WorldColor c) =>
            ((vae.Decode(vae.Encode(Plain(c)).Mode()).clamp(-1, 1)[0, .., 16..48, 16..48].mean(new long[] { 1, 2 }) + 1) * 127.5f).data<float>().ToArray();
        static double Distance(float[] rgb, WorldColor c) =>
            Math.Sqrt((rgb[0] - c.R) * (rgb[0] - c.R) + (rgb[1] - c.G) * (rgb[1] - c.G) + (rgb[2] - c.B) * (rgb[2] - c.B));
        var pink = RoundTrip(ShapeWorld.Pink);
        var palette = ShapeWorld.Colors.Select(c => (c.Name, Error: Distance(RoundTrip(c), c))).ToList();
        output.WriteLine($"pink (250, 120, 190) comes back ({pink[0]:F0}, {pink[1]:F0}, {pink[2]:F0}): {Distance(pink, ShapeWorld.Pink):F0} from pink, " +
            $"{Distance(pink, ShapeWorld.White):F0} from white; palette errors {string.Join(", ", palette.Select(p => $"{p.Name} {p.Error:F0}"))}");
        Assert.True(Distance(pink, ShapeWorld.White) < Distance(pink, ShapeWorld.Pink), "pink should come back nearer to white than to pink");
        Assert.True(Distance(pink, ShapeWorld.Pink) > 80, $"pink error {Distance(pink, ShapeWorld.Pink):F0}");
        Assert.True(palette.Count(p => p.Error < 40) >= 6, "most palette colours come back within 40");
    }
}
