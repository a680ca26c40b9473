using Pipeline.Components;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// What a recipe sees as top-level names: <c>Args</c>, <c>Registry</c>, <c>Stages</c>, <c>Progress</c>,
/// <c>Cancellation</c>, <c>Output</c>. The registry is the snapshot captured when the run started, so a plugin
/// reload during the run does not change the recipe's components.
/// </summary>
public sealed record RecipeGlobals
{
    public RecipeGlobals(RecipeArgs args, ComponentRegistry registry, IRecipeProgress progress, RecipeOutput output,
        CancellationToken cancellation = default, RecipeStages? stages = null)
    {
        Args = args ?? throw new ArgumentNullException(nameof(args));
        Registry = registry ?? throw new ArgumentNullException(nameof(registry));
        Progress = progress ?? throw new ArgumentNullException(nameof(progress));
        Output = output ?? throw new ArgumentNullException(nameof(output));
        Cancellation = cancellation;
        Stages = stages ?? RecipeStages.Default;
    }

    /// <summary>The <c>--key value</c> arguments.</summary>
    public RecipeArgs Args { get; }

    /// <summary>The component registry snapshot (built-ins and plugins) captured at the start of the run.</summary>
    public ComponentRegistry Registry { get; }

    /// <summary>The stage functions (see <see cref="RecipeStages"/>).</summary>
    public RecipeStages Stages { get; }

    /// <summary>Progress and log lines for the user.</summary>
    public IRecipeProgress Progress { get; }

    /// <summary>Signalled by Ctrl+C; check it between steps (<c>Cancellation.ThrowIfCancellationRequested()</c>).</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>The output folder.</summary>
    public RecipeOutput Output { get; }

    /// <summary>The device the run was started for (<c>sdxl run --device</c>; the CPU by default): load models onto it.</summary>
    public TorchSharp.torch.Device Device { get; init; } = TorchSharp.torch.CPU;
}
