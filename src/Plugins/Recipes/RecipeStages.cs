namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The stage functions a recipe composes (Tokenize → Condition → Noise → Denoise → Decode → Refine, see
/// ARCHITECTURE.md), reached from a recipe as <c>Stages</c>.
/// </summary>
/// <remarks>
/// Deliberately empty for now: the stages are filled in with the models work (text-to-image, img2img and refine
/// recipes). Add members here, not new globals, so every recipe finds them in one place; the recipe cache key
/// covers the Pipeline.Plugins assembly, so cached recipes recompile when this type changes.
/// </remarks>
public sealed class RecipeStages
{
    public static RecipeStages Default { get; } = new();
}
