using Pipeline.Components;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Image-to-image (SDEdit, sgm's img2img): encode with the VAE (posterior mode), keep the last
/// max(1, ⌊strength·steps⌋) steps of the schedule, noise the latent to that schedule's first σ and denoise.
/// </summary>
public static class ImageToImage
{
    /// <summary>Index where an img2img run of <paramref name="steps"/> steps at <paramref name="strength"/> starts.</summary>
    public static int StartIndex(int steps, double strength)
    {
        if (!(strength > 0 && strength <= 1)) throw new ArgumentOutOfRangeException(nameof(strength), $"strength must be in (0, 1], got {strength}");
        return steps - Math.Max(1, (int)(strength * steps));
    }

    /// <summary><paramref name="images01"/> [B, 3, H, W] in [0, 1] (B = 1 or the batch size) → images.</summary>
    public static GenerationResult Run(SdxlModel model, ComponentRegistry registry, Tensor images01, GenerationSettings settings, double strength,
        SamplingOptions? options = null)
    {
        if (images01.dim() != 4 || images01.shape[1] != 3)
            throw new ArgumentException($"expected images [B, 3, H, W], got [{string.Join(", ", images01.shape)}]");
        settings = settings with { Height = (int)images01.shape[2], Width = (int)images01.shape[3] };
        settings.Validate(model.Config.Vae.DownscaleFactor);
        if (images01.shape[0] != 1 && images01.shape[0] != settings.BatchSize)
            throw new ArgumentException($"{images01.shape[0]} input images for batch size {settings.BatchSize}");
        var sampler = registry.Sampler(settings.Sampler);
        var full = registry.Discretization(settings.Schedule).GetSigmas(settings.Steps);
        var sigmas = full.From(StartIndex(settings.Steps, strength));

        using var conditioning = ConditionStage.ForPrompt(model.Conditioner, settings.Prompt, settings.NegativePrompt, settings.BatchSize,
            settings.EffectiveOriginalSize, settings.Crop, settings.EffectiveTargetSize);
        using var noise = new SeededNoise(settings.Seed);
        Tensor latents;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var pixels = (images01.to(ScalarType.Float32, model.Device) * 2 - 1).expand(settings.BatchSize, -1, -1, -1);
            using var posterior = model.FirstStage.Encode(pixels);
            var z = posterior.Mode() * model.Config.Vae.ScaleFactor;
            var noised = z + noise.Next(z) * sigmas[0];
            var x = noised / Math.Sqrt(1.0 + (double)sigmas[0] * sigmas[0]);
            latents = DenoiseStage.Run(sampler, DenoiseStage.GuiderFor(settings.CfgScale), model.Denoiser, model.Network, x, sigmas,
                conditioning, noise, options).MoveToOuterDisposeScope();
        }
        try
        {
            var images = DecodeStage.Run(model.FirstStage, latents);
            var extra = new Dictionary<string, string> { ["Denoising strength"] = strength.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            return new GenerationResult(images, latents, TextToImage.Describe(model, settings, extra),
                ConditionStage.DroppedTokens(settings.Prompt), ConditionStage.DroppedTokens(settings.NegativePrompt));
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }
}
