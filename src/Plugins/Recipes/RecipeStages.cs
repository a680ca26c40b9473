using Pipeline.Components;
using Pipeline.Diffusion.Sampling;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The stage functions a recipe composes (Tokenize → Condition → Noise → Denoise → Decode → Refine, see
/// ARCHITECTURE.md), reached from a recipe as <c>Stages</c>. Each call uses the run's registry snapshot, reports its
/// sampler steps to the run's progress and stops between steps when the run is cancelled. The single stages
/// (<c>TokenizeStage</c>, <c>ConditionStage</c>, <c>NoiseStage</c>, <c>DenoiseStage</c>, <c>DecodeStage</c>,
/// <c>RefineStage</c>) are imported too, for recipes that compose them by hand.
/// </summary>
public sealed class RecipeStages
{
    readonly ComponentRegistry? _registry;
    readonly IRecipeProgress? _progress;
    readonly CancellationToken _cancellation;

    public RecipeStages(ComponentRegistry registry, IRecipeProgress progress, CancellationToken cancellation = default)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        _cancellation = cancellation;
    }

    RecipeStages() { }

    /// <summary>Stages that are not bound to a run (no registry): only the model-free helpers work.</summary>
    public static RecipeStages Default { get; } = new();

    ComponentRegistry Registry => _registry ?? throw new InvalidOperationException("these stages are not bound to a run's registry");

    SamplingOptions Options(string stage, int total) =>
        new(step => _progress?.Report(stage, step.Index + 1, total), _cancellation);

    /// <summary>Loads a single-file checkpoint, or the embedded default when <paramref name="checkpoint"/> is null.</summary>
    public SdxlModel LoadModel(string? checkpoint = null, ScalarType dtype = ScalarType.Float32) =>
        SdxlModel.Load(checkpoint ?? EmbeddedModels.Base ?? throw new InvalidOperationException(EmbeddedModels.MissingMessage), dtype: dtype);

    /// <summary>Loads the refiner checkpoint, or the embedded default refiner when null.</summary>
    public SdxlModel LoadRefiner(string? checkpoint = null, ScalarType dtype = ScalarType.Float32) =>
        SdxlModel.Load(checkpoint ?? EmbeddedModels.Refiner ?? throw new InvalidOperationException(EmbeddedModels.MissingMessage), dtype: dtype);

    public GenerationResult TextToImage(SdxlModel model, GenerationSettings settings) =>
        Pipeline.Stages.TextToImage.Run(model, Registry, settings, Options($"txt2img {settings.Sampler}", settings.Steps));

    public GenerationResult TextToImageWithRefiner(SdxlModel model, SdxlModel refiner, GenerationSettings settings, RefinerSettings refine) =>
        Pipeline.Stages.TextToImage.RunWithRefiner(model, refiner, Registry, settings, refine, Options($"txt2img+refiner {settings.Sampler}", settings.Steps + refine.Steps));

    public GenerationResult ImageToImage(SdxlModel model, Tensor images01, GenerationSettings settings, double strength) =>
        Pipeline.Stages.ImageToImage.Run(model, Registry, images01, settings, strength, Options($"img2img {settings.Sampler}", settings.Steps));

    /// <summary>Reads an image file as [1, 3, H, W] in [0, 1].</summary>
    public Tensor ReadImage(string path)
    {
        using var image = PngImage.Read(path);
        return image.unsqueeze(0);
    }

    /// <summary>Writes image <paramref name="index"/> of a result as a PNG with its parameters (atomically); returns the path.</summary>
    public string SavePng(RecipeOutput output, string name, GenerationResult result, int index = 0)
    {
        using var image = result.Images[index];
        var png = PngImage.Encode(image, result.Parameters[index]);
        output.WriteAtomically(name, s => s.Write(png));
        return output.PathFor(name);
    }

    /// <summary>Writes an RGB image [3, H, W] in [0, 1] as a PNG (atomically); returns the path.</summary>
    public string SavePng(RecipeOutput output, string name, Tensor image01, GenerationParameters? parameters = null)
    {
        var png = PngImage.Encode(image01, parameters);
        output.WriteAtomically(name, s => s.Write(png));
        return output.PathFor(name);
    }

    /// <summary>A labelled grid (see <see cref="ImageGrid"/>).</summary>
    public Tensor Grid(IReadOnlyList<Tensor> images, int columns, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null,
        int labelScale = 1) => ImageGrid.Compose(images, columns, rowLabels, columnLabels, labelScale: labelScale);
}
