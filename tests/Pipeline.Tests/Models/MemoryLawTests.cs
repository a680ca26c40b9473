using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using Pipeline.Tests.Goldens;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>A forward of each model leaves the thread's live tensor count where it was (no leaks past the dispose scopes).</summary>
public class MemoryLawTests(ITestOutputHelper output)
{
    void AssertNoLeak(string what, Action run) => MemoryLaw.AssertNoLeak(output, what, run);

    [Fact]
    public void Unet_and_wrapper_forwards_leave_no_live_tensors()
    {
        using var g = GoldenSet.Sgm.Open(GoldenSet.Sgm.Cases.First(c => c.StartsWith("unet_", StringComparison.Ordinal)));
        using var unet = UNetParityTests.LoadModel(g);
        using var wrapper = new OpenAIWrapper(unet);
        using var noGrad = no_grad();
        using var x = g["x"];
        using var t = g["timesteps"];
        using var context = g["context"];
        using var y = g["y"];
        using var odd = randn(2, 4, 7, 9);
        var conditioning = new Pipeline.Conditioning.Conditioning(context, y);

        AssertNoLeak("UNetModel.forward", () => unet.call(x, t, context, y).Dispose());
        AssertNoLeak("UNetModel.Forward with observer", () => unet.Forward(x, t, context, y, (_, _) => { }).Dispose());
        AssertNoLeak("UNetModel.Forward 7x9", () => unet.Forward(odd, t, context, y).Dispose());
        AssertNoLeak("OpenAIWrapper.Forward", () => wrapper.Forward(x, t, conditioning).Dispose());
    }

    [Fact]
    public void Vae_encode_decode_and_tiled_decode_leave_no_live_tensors()
    {
        using var g = GoldenSet.Sgm.Open(GoldenSet.Sgm.Cases.First(c => c.StartsWith("vae_", StringComparison.Ordinal)));
        using var vae = VaeParityTests.LoadModel(g);
        using var noGrad = no_grad();
        using var images = cat(new[] { g["x"], g["x"].flip(3) }, 0);
        using var latents = randn(new long[] { 2, vae.Config.EmbedDim, 12, 20 });

        AssertNoLeak("Encode (posterior disposed)", () => vae.Encode(images, samplesAtATime: 1).Dispose());
        AssertNoLeak("EncodeFirstStage (sampled)", () => vae.EncodeFirstStage(images, new Generator(3)).Dispose());
        AssertNoLeak("Decode in sub-batches", () => vae.Decode(latents, samplesAtATime: 1).Dispose());
        AssertNoLeak("DecodeTiled (2 statistics passes)", () => vae.DecodeTiled(latents, new TiledDecodeSettings(8, 2, 2)).Dispose());
        AssertNoLeak("DecodeFirstStage tiled", () => vae.DecodeFirstStage(latents, 1, new TiledDecodeSettings(8, 2)).Dispose());
        AssertNoLeak("forward (reconstruction)", () => vae.call(images).Dispose());
    }
}
