namespace Pipeline.Models;

/// <summary>
/// Upper bounds for the counts and widths of a model config, far above SDXL's (320 channels, 3 levels, 2 res blocks,
/// transformer depth ≤ 10, bigG: 32 layers of width 1280) and low enough that building a config read from a file
/// stays bounded: the configs' <c>Validate</c> refuse anything beyond them before a module is built.
/// </summary>
public static class ModelBounds
{
    public const int MaxChannels = 4096;
    public const int MaxLevels = 8;
    public const int MaxChannelMult = 64;
    public const int MaxBlocksPerLevel = 16;
    public const int MaxTransformerDepth = 64;
    public const int MaxWidth = 16384;
    public const int MaxTextLayers = 128;
    public const int MaxVocabulary = 1_000_000;
    public const int MaxPositions = 4096;
}
