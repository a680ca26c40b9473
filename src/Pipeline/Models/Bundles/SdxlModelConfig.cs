using Pipeline.Conditioning;
using Pipeline.Diffusion.Scaling;
using Pipeline.Models.TextEncoders;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;

namespace Pipeline.Models.Bundles;

/// <summary>Which of SDXL's two models a bundle is.</summary>
public enum SdxlModelKind { Base, Refiner }

/// <summary>
/// Everything that defines an SDXL-layout model: conditioner, UNet and first stage (VAE), plus the denoiser's
/// discrete schedule and preconditioning. SDXL base, SDXL refiner and the tiny default are values of this one record type.
/// </summary>
public sealed record SdxlModelConfig(string Name, SdxlModelKind Kind, ConditionerConfig Conditioner, UNetConfig UNet,
    AutoencoderKLConfig Vae, int NumTimesteps = 1000)
{
    /// <summary>
    /// What the network predicts, as the denoiser's preconditioning (sgm <c>denoiser_scaling</c>): ε for SDXL (default),
    /// <see cref="VScaling"/> for a v-prediction model, etc. Stored by its registry name (<c>eps</c>, <c>v</c>, <c>edm</c>,
    /// <c>v_edm_cnoise</c>, or a plugin's) in the config JSON of a checkpoint.
    /// </summary>
    public IDenoiserScaling Scaling { get; init; } = new EpsScaling();

    public static SdxlModelConfig SdxlBase { get; } =
        new("sd_xl_base_1.0", SdxlModelKind.Base, ConditionerConfig.SdxlBase, UNetConfig.SdxlBase, AutoencoderKLConfig.Sdxl);

    /// <summary>
    /// An SDXL inpainting base (e.g. diffusers' stable-diffusion-xl-1.0-inpainting-0.1 in the single-file layout): the
    /// base with 9 UNet input channels — the noisy latent, the mask and the masked image's latent (sgm's <c>concat</c>
    /// conditioning, in that order).
    /// </summary>
    public static SdxlModelConfig SdxlInpaint { get; } = SdxlBase with { Name = "sd_xl_base_1.0_inpainting", UNet = UNetConfig.SdxlBase with { InChannels = 9 } };

    /// <summary>Whether the UNet takes the inpainting concat (mask + masked-image latent) besides the latent.</summary>
    public bool IsInpainting => UNet.InChannels == 2 * Vae.EmbedDim + 1 && UNet.OutChannels == Vae.EmbedDim;

    public static SdxlModelConfig SdxlRefiner { get; } =
        new("sd_xl_refiner_1.0", SdxlModelKind.Refiner, ConditionerConfig.SdxlRefiner, UNetConfig.SdxlRefiner, AutoencoderKLConfig.Sdxl);

    static ClipTextConfig TinyText(ClipActivation activation, int width = 32) => new(VocabSize: 49408, Width: width, Heads: 2, Layers: 2,
        MaxPositions: 77, IntermediateSize: 4 * width, ProjectionDim: width, Activation: activation);

    static AutoencoderKLConfig TinyVae => new(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 2], NumResBlocks: 1, AttnResolutions: [],
        ZChannels: 4, DoubleZ: true, Resolution: 64, InChannels: 3, OutCh: 3, ScaleFactor: 1.0, NormGroups: 8);

    static UNetConfig TinyUNet(int context, int adm, int[] mult, int[] resBlocks) => new(InChannels: 4, OutChannels: 4, ModelChannels: 32, ChannelMult: mult,
        NumResBlocks: resBlocks, AttentionResolutions: [2, 4], TransformerDepth: [0, 1, 1], ContextDim: [context],
        NumHeadChannels: 16, UseLinearInTransformer: true, AdmInChannels: adm, NormGroups: 8);

    /// <summary>
    /// The embedded default's architecture: SDXL base at about 1/16 scale (64×64 images, f = 8 VAE with 4 latent channels,
    /// a tiny CLIP-L-layout and a tiny OpenCLIP-layout text encoder, cross-attention at the two lower UNet levels,
    /// pooled + size/crop/target Fourier features added to the timestep embedding).
    /// </summary>
    public static SdxlModelConfig TinyBase { get; } = new("tiny-sdxl-base", SdxlModelKind.Base,
        new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenCLIPEmbedderConfig(TinyText(ClipActivation.QuickGelu, width: 16), ClipLayer.Hidden, LayerIndex: 1, UcgRate: 0.1, IsTrainable: true),
            new FrozenOpenCLIPEmbedder2Config(TinyText(ClipActivation.Gelu), UcgRate: 0.1, IsTrainable: true),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.TargetSize),
        }), TinyUNet(16 + 32, 32 + 3 * 512, [1, 2, 2], [1, 2, 2]), TinyVae);

    /// <summary>The tiny refiner: OpenCLIP-layout encoder + original size, crop and a quality score, same latent space.</summary>
    public static SdxlModelConfig TinyRefiner { get; } = new("tiny-sdxl-refiner", SdxlModelKind.Refiner,
        new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenOpenCLIPEmbedder2Config(TinyText(ClipActivation.Gelu), UcgRate: 0.1, IsTrainable: true),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.AestheticScore),
        }), TinyUNet(32, 32 + 2 * 512 + 256, [1, 1, 2], [1, 1, 1]), TinyVae);

    /// <summary>The named configs, for the CLI.</summary>
    public static IReadOnlyDictionary<string, SdxlModelConfig> Named { get; } = new Dictionary<string, SdxlModelConfig>
    {
        ["sdxl-base"] = SdxlBase, ["sdxl-inpaint"] = SdxlInpaint, ["sdxl-refiner"] = SdxlRefiner, ["tiny-base"] = TinyBase, ["tiny-refiner"] = TinyRefiner,
    };

    public static SdxlModelConfig ByName(string name) =>
        Named.TryGetValue(name, out var c) ? c : throw new ArgumentException($"unknown model config '{name}'; valid: {string.Join(", ", Named.Keys)}");

    /// <summary>Latent channels × downscale: the latent shape of an image of <paramref name="height"/>×<paramref name="width"/>.</summary>
    public long[] LatentShape(int batch, int height, int width)
    {
        int f = Vae.DownscaleFactor;
        if (height % f != 0 || width % f != 0)
            throw new ArgumentException($"image size {width}x{height} must be a multiple of {f} (the VAE's downscale factor)");
        return new long[] { batch, Vae.EmbedDim, height / f, width / f };
    }
}
