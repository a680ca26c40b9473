namespace Pipeline.Models.TextEncoders;

/// <summary>
/// Shape of a CLIP text tower, shared by the transformers <c>CLIPTextModel</c> layout (CLIP-L) and the
/// open_clip layout (OpenCLIP bigG). Names follow transformers' <c>CLIPTextConfig</c>.
/// </summary>
/// <param name="VocabSize">Token vocabulary (49408 for both SDXL encoders).</param>
/// <param name="Width">Hidden size (<c>hidden_size</c> / open_clip <c>width</c>).</param>
/// <param name="Heads">Attention heads; must divide <paramref name="Width"/>.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="MaxPositions">Sequence length (<c>max_position_embeddings</c> / <c>context_length</c>), 77.</param>
/// <param name="IntermediateSize">MLP hidden size (4 × width in both encoders).</param>
/// <param name="ProjectionDim">Output width of the text projection (open_clip <c>embed_dim</c>).</param>
/// <param name="Activation">MLP activation.</param>
/// <param name="LayerNormEps">LayerNorm epsilon.</param>
public sealed record ClipTextConfig(
    int VocabSize, int Width, int Heads, int Layers, int MaxPositions,
    int IntermediateSize, int ProjectionDim, ClipActivation Activation, double LayerNormEps = 1e-5)
{
    /// <summary>CLIP ViT-L/14 text model (openai/clip-vit-large-patch14), SDXL base embedder 0.</summary>
    public static ClipTextConfig ClipL { get; } =
        new(VocabSize: 49408, Width: 768, Heads: 12, Layers: 12, MaxPositions: 77,
            IntermediateSize: 3072, ProjectionDim: 768, Activation: ClipActivation.QuickGelu);

    /// <summary>OpenCLIP ViT-bigG-14 text tower, SDXL base embedder 1 and refiner embedder 0.</summary>
    public static ClipTextConfig OpenClipBigG { get; } =
        new(VocabSize: 49408, Width: 1280, Heads: 20, Layers: 32, MaxPositions: 77,
            IntermediateSize: 5120, ProjectionDim: 1280, Activation: ClipActivation.Gelu);

    public int HeadDim => Width / Heads;

    /// <summary>Throws <see cref="ArgumentException"/> naming every invalid field.</summary>
    public ClipTextConfig Validate()
    {
        var problems = new List<string>();
        void Positive(string name, int value) { if (value < 1) problems.Add($"{name} must be >= 1, got {value}"); }
        Positive(nameof(VocabSize), VocabSize);
        Positive(nameof(Width), Width);
        Positive(nameof(Heads), Heads);
        Positive(nameof(Layers), Layers);
        Positive(nameof(MaxPositions), MaxPositions);
        Positive(nameof(IntermediateSize), IntermediateSize);
        Positive(nameof(ProjectionDim), ProjectionDim);
        if (Width >= 1 && Heads >= 1 && Width % Heads != 0) problems.Add($"{nameof(Width)} {Width} is not divisible by {nameof(Heads)} {Heads}");
        if (Layers > ModelBounds.MaxTextLayers) problems.Add($"{nameof(Layers)} {Layers} is above the limit {ModelBounds.MaxTextLayers}");
        if (Width > ModelBounds.MaxWidth || IntermediateSize > 4 * ModelBounds.MaxWidth || ProjectionDim > ModelBounds.MaxWidth || Heads > ModelBounds.MaxWidth)
            problems.Add($"a width is above the limit {ModelBounds.MaxWidth}");
        if (VocabSize > ModelBounds.MaxVocabulary) problems.Add($"{nameof(VocabSize)} {VocabSize} is above the limit {ModelBounds.MaxVocabulary}");
        if (MaxPositions > ModelBounds.MaxPositions) problems.Add($"{nameof(MaxPositions)} {MaxPositions} is above the limit {ModelBounds.MaxPositions}");
        if (!(LayerNormEps > 0)) problems.Add($"{nameof(LayerNormEps)} must be > 0, got {LayerNormEps}");
        if (!Enum.IsDefined(Activation)) problems.Add($"{nameof(Activation)} {Activation} is not one of {string.Join(", ", Enum.GetNames<ClipActivation>())}");
        if (problems.Count > 0) throw new ArgumentException($"invalid {nameof(ClipTextConfig)}: {string.Join("; ", problems)}");
        return this;
    }
}
