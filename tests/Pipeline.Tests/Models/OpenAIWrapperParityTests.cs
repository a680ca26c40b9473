using Pipeline.Checkpoints;
using Pipeline.Models.Unet;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>
/// The network half of <c>denoiser_unet_wrapper</c>: OpenAIWrapper(UNet) given the recorded scaled input and
/// int64 c_noise gives the recorded raw network output. (The denoiser half belongs to the denoiser's tests.)
/// </summary>
public class OpenAIWrapperParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;

    [Fact]
    public void Wrapper_routes_crossattn_and_vector_and_matches_sgm_network_output()
    {
        using var g = GoldenSet.Sgm.Open("denoiser_unet_wrapper");
        var config = SgmParams.UNet(g.Json.GetProperty("unet_params"));
        using var wrapper = new OpenAIWrapper(new UNetModel(config));
        using (var weights = g.OpenFile(g.Json.GetProperty("weights_file").GetString()!))
            StateDictLoader.Load(wrapper, weights, "model.");   // the wrapper's keys are diffusion_model.*
        wrapper.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        var conditioning = new Pipeline.Conditioning.Conditioning(CrossAttn: g["crossattn"], Vector: g["vector"]);
        int calls = 0;
        for (int k = 0; g.Has($"call_{k}_network_input"); k++, calls++)
        {
            var timesteps = g[$"call_{k}_c_noise"];
            Assert.Equal(ScalarType.Int64, timesteps.dtype);
            var actual = wrapper.Forward(g[$"call_{k}_network_input"], timesteps, conditioning);
            var err = GoldenAssert.Close(g[$"call_{k}_network_output"], actual, Tolerance, $"call_{k}_network_output");
            output.WriteLine($"call_{k}_network_output: {err:E2} (tolerance {Tolerance:E0})");
        }
        Assert.True(calls > 0, "no calls recorded in denoiser_unet_wrapper");
    }
}
