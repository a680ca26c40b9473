using Pipeline.Conditioning;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;

namespace Pipeline.Models.Bundles;

/// <summary>Which of SDXL's two models a bundle is.</summary>
public enum SdxlModelKind { Base, Refiner }

/// <summary>
/// Everything that defines an SDXL-layout model: conditioner, UNet and first stage (VAE), plus the denoiser's
/// discrete schedule. SDXL base, SDXL refiner and the tiny default are values of this one record type.
/// </summary>
public sealed record SdxlModelConfig(string Name, SdxlModelKind Kind, ConditionerConfig Conditioner, UNetConfig UNet,
    AutoencoderKLConfig Vae, int NumTimesteps = 1000)
{
    public static SdxlModelConfig SdxlBase { get; } =
        new("sd_xl_base_1.0", SdxlModelKind.Base, ConditionerConfig.SdxlBase, UNetConfig.SdxlBase, AutoencoderKLConfig.Sdxl);

    public static SdxlModelConfig SdxlRefiner { get; } =
        new("sd_xl_refiner_1.0", SdxlModelKind.Refiner, ConditionerConfig.SdxlRefiner, UNetConfig.SdxlRefiner, AutoencoderKLConfig.Sdxl);

    /// <summary>Latent channels × downscale: the latent shape of an image of <paramref name="height"/>×<paramref name="width"/>.</summary>
    public long[] LatentShape(int batch, int height, int width)
    {
        int f = Vae.DownscaleFactor;
        if (height % f != 0 || width % f != 0)
            throw new ArgumentException($"image size {width}x{height} must be a multiple of {f} (the VAE's downscale factor)");
        return new long[] { batch, Vae.EmbedDim, height / f, width / f };
    }
}
