using Pipeline.Conditioning;
using Pipeline.Models.Bundles;
using Pipeline.Models.TextEncoders;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;

namespace Pipeline.Tests.Stages;

/// <summary>Tiny SDXL-layout configs (same record types as the full models) for fast end-to-end tests.</summary>
static class TinyModels
{
    static ClipTextConfig Text(int width, ClipActivation act) =>
        new(VocabSize: 49408, Width: width, Heads: 2, Layers: 2, MaxPositions: 77, IntermediateSize: 2 * width, ProjectionDim: width, Activation: act);

    static AutoencoderKLConfig Vae => new(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 1], NumResBlocks: 1, AttnResolutions: [], ZChannels: 4,
        DoubleZ: true, Resolution: 64, InChannels: 3, OutCh: 3);

    static UNetConfig Unet(int context, int adm) => new(
        InChannels: 4, OutChannels: 4, ModelChannels: 32, ChannelMult: [1, 2], NumResBlocks: UNetConfig.PerLevel(1, 2),
        AttentionResolutions: [2], TransformerDepth: [0, 1], ContextDim: [context], NumHeadChannels: 16,
        UseLinearInTransformer: true, AdmInChannels: adm);

    public static SdxlModelConfig Base { get; } = new("tiny-base", SdxlModelKind.Base,
        new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenCLIPEmbedderConfig(Text(16, ClipActivation.QuickGelu), ClipLayer.Hidden, LayerIndex: 1),
            new FrozenOpenCLIPEmbedder2Config(Text(32, ClipActivation.Gelu)),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.TargetSize),
        }), Unet(16 + 32, 32 + 3 * 512), Vae);

    public static SdxlModelConfig Refiner { get; } = new("tiny-refiner", SdxlModelKind.Refiner,
        new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenOpenCLIPEmbedder2Config(Text(32, ClipActivation.Gelu)),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.AestheticScore),
        }), Unet(32, 32 + 2 * 512 + 256), Vae);
}
