using Pipeline.Checkpoints;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Diffusion.Scaling;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using Pipeline.Tests.Goldens;
using Pipeline.Tests.Models;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Parity;

/// <summary>The denoiser wrapped around the real (tiny) UNet, and the whole sampling → decode path.</summary>
public class DenoiserNetworkParityTests(ITestOutputHelper output)
{
    /// <summary>Records what the denoiser hands the network, and what comes back.</summary>
    sealed class Recording(IDiffusionNetwork inner) : IDiffusionNetwork
    {
        public List<(Tensor Input, Tensor Timesteps, Tensor Output)> Calls { get; } = new();

        public Tensor Forward(Tensor input, Tensor timesteps, Cond conditioning)
        {
            var result = inner.Forward(input, timesteps, conditioning);
            Calls.Add((input.clone().DetachFromDisposeScope(), timesteps.clone().DetachFromDisposeScope(), result.clone().DetachFromDisposeScope()));
            return result;
        }
    }

    static OpenAIWrapper LoadUnet(GoldenCase g, string paramsKey, string weightsKey)
    {
        var wrapper = new OpenAIWrapper(new UNetModel(SgmParams.UNet(g.Json.GetProperty(paramsKey))));
        using (var weights = g.OpenFile(g.Json.GetProperty(weightsKey).GetString()!)) StateDictLoader.Load(wrapper, weights, "model.");
        wrapper.eval();
        return wrapper;
    }

    [Fact]
    public void Discrete_denoiser_around_the_unet_matches_sgm_call_by_call()
    {
        using var g = GoldenSet.Sgm.Open("denoiser_unet_wrapper");
        using var wrapper = LoadUnet(g, "unet_params", "weights_file");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var denoiser = new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization());
        var network = new Recording(wrapper);
        var cond = new Cond(CrossAttn: g["crossattn"], Vector: g["vector"]);
        var input = g["input"];
        double worst = 0;
        int k = 0;
        for (; g.Has($"call_{k}_sigma"); k++)
        {
            var sigma = g[$"call_{k}_sigma"];
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_sigma_quantized"], denoiser.QuantizeSigma(sigma), 1e-6, $"call_{k}_sigma_quantized"));
            var denoised = denoiser.Denoise(network, input, sigma, cond);
            var (netIn, timesteps, netOut) = network.Calls[k];
            Assert.Equal(ScalarType.Int64, timesteps.dtype);
            GoldenAssert.Exact(g[$"call_{k}_c_noise"], timesteps, $"call_{k}_c_noise");
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_network_input"], netIn, 1e-4, $"call_{k}_network_input"));
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_network_output"], netOut, 1e-4, $"call_{k}_network_output"));
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_denoised"], denoised, 1e-4, $"call_{k}_denoised"));
        }
        Assert.True(k > 0, "no calls recorded");
        foreach (var c in network.Calls) { c.Input.Dispose(); c.Timesteps.Dispose(); c.Output.Dispose(); }
        output.WriteLine($"denoiser_unet_wrapper: {k} calls, c_noise exact, worst scaled error {worst:E2} (tolerance 1e-4)");
    }

    [Fact]
    public void End_to_end_sampling_and_decode_match_sgm()
    {
        using var g = GoldenSet.Sgm.Open("e2e_sampling_tiny");
        using var wrapper = LoadUnet(g, "unet_params", "unet_weights_file");
        using var vae = new AutoencoderKL(SgmParams.VaeFromDdconfig(g.Json.GetProperty("vae_ddconfig")));
        using (var weights = g.OpenFile(g.Json.GetProperty("vae_weights_file").GetString()!)) StateDictLoader.Load(vae, weights, "first_stage_model.");
        vae.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        // The producer line names the sampler, step count and CFG scale; the schedule is checked against the stored one.
        var producer = g.Json.GetProperty("producer")[0].GetString()!;
        int steps = int.Parse(System.Text.RegularExpressions.Regex.Match(producer, @"num_steps=(\d+)").Groups[1].Value);
        double scale = double.Parse(System.Text.RegularExpressions.Regex.Match(producer, @"scale=([0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("EulerEDMSampler", producer);
        var sigmas = new LegacyDDPMDiscretization().GetSigmas(steps);
        GoldenAssert.Close(g["sigmas"], sigmas.ToTensor(), 1e-6, "sigmas");

        var denoiser = new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization());
        var cond = new Cond(CrossAttn: g["cond_crossattn"], Vector: g["cond_vector"]);
        var uncond = new Cond(CrossAttn: g["uc_crossattn"], Vector: g["uc_vector"]);
        var steps_ = new List<Tensor>();
        var latent = new EulerEDMSampler().Sample(Guided.Compose(new VanillaCFG(scale), denoiser, wrapper, cond, uncond), SamplingMath.ScaleInitialNoise(g["randn"], sigmas), sigmas,
            new ReplayNoise(Array.Empty<Tensor>()), new SamplingOptions(s => steps_.Add(s.X.clone().DetachFromDisposeScope())));
        double worst = 0;
        for (int k = 0; k < steps_.Count; k++)
            worst = Math.Max(worst, GoldenAssert.Close(g[$"step_{k}_x"], steps_[k], 2e-4, $"step_{k}_x"));
        worst = Math.Max(worst, GoldenAssert.Close(g["latent"], latent, 2e-4, "latent"));
        double scaleFactor = g.Json.GetProperty("scale_factor").GetDouble();
        var image = vae.Decode(latent / scaleFactor);
        worst = Math.Max(worst, GoldenAssert.Close(g["image"], image, 2e-4, "image"));
        worst = Math.Max(worst, GoldenAssert.Close(g["image_01"], ((image + 1) / 2).clamp(0, 1), 2e-4, "image_01"));
        foreach (var t in steps_) t.Dispose();
        output.WriteLine($"e2e_sampling_tiny: {steps} steps + decode, worst scaled error {worst:E2} (tolerance 2e-4)");
    }
}
