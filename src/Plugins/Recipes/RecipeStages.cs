using Pipeline.Components;
using Pipeline.Diffusion.Sampling;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Generation;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// What a recipe needs around the stages, reached from a recipe as <c>Stages</c>: loading models, running a
/// <see cref="GenerationPlan"/> (reporting its sampler steps to the run's progress and stopping between steps when the
/// run is cancelled), sampler options for stages run by hand, and image I/O. The stage functions themselves
/// (<c>PromptTokenizer</c>, <c>ConditionStage</c>, <c>NoiseStage</c>, <c>EncodeStage</c>, <c>DenoiseStage</c>,
/// <c>RefineStage</c>, <c>DecodeStage</c>) are imported, for recipes that compose them by hand.
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

    IRecipeProgress Progress => _registry is null || _progress is null
        ? throw new InvalidOperationException("these stages are not bound to a run (registry, progress)")
        : _progress;

    SamplingOptions Options(string stage, int total)
    {
        var progress = Progress;
        return new(step => progress.Report(stage, step.Index + 1, total), _cancellation);
    }

    /// <summary>Loads a single-file checkpoint, or the embedded default when <paramref name="checkpoint"/> is null.</summary>
    public SdxlModel LoadModel(string? checkpoint = null, ScalarType dtype = ScalarType.Float32) =>
        SdxlModel.Load(checkpoint ?? EmbeddedModels.Base ?? throw new InvalidOperationException(EmbeddedModels.MissingMessage), dtype: dtype, registry: _registry);

    /// <summary>Loads the refiner checkpoint, or the embedded default refiner when null.</summary>
    public SdxlModel LoadRefiner(string? checkpoint = null, ScalarType dtype = ScalarType.Float32) =>
        SdxlModel.Load(checkpoint ?? EmbeddedModels.Refiner ?? throw new InvalidOperationException(EmbeddedModels.MissingMessage), dtype: dtype, registry: _registry);

    /// <summary>Runs <paramref name="plan"/> through the one executor, reporting every sampler step to the run's progress.</summary>
    public GenerationResult Run(GenerationPlan plan) => plan.Run(PlanProgress(plan, Progress), _cancellation);

    /// <summary>Runs <paramref name="plan"/> up to the latents (no decode).</summary>
    public Tensor RunLatents(GenerationPlan plan) => plan.RunLatents(PlanProgress(plan, Progress), _cancellation);

    /// <summary>Sampler options for a stage run by hand (<c>DenoiseStage.Run</c>): progress as "<paramref name="label"/> i/total", the run's cancellation.</summary>
    public SamplingOptions Sampling(string label, int total) => Options(label, total);

    IProgress<PlanProgress> PlanProgress(GenerationPlan plan, IRecipeProgress progress) =>
        new InlineProgress<PlanProgress>(p => progress.Report($"{p.Phase} {plan.Names.Sampler ?? plan.Sampler.GetType().Name}", p.Done, p.Total));

    /// <summary>Writes image <paramref name="index"/> of a result as a PNG with its parameters (atomically); returns the path.</summary>
    public string SavePng(RecipeOutput output, string name, GenerationResult result, int index = 0)
    {
        using var image = result.Images[index];
        var png = PngImage.Encode(image, result.Parameters[index]);
        output.WriteAtomically(name, s => s.Write(png));
        return output.PathFor(name);
    }

    /// <summary>Reads an image file as [1, 3, H, W] in [0, 1].</summary>
    public Tensor ReadImage(string path)
    {
        using var image = PngImage.Read(path);
        return image.unsqueeze(0);
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
