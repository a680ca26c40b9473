namespace Pipeline.Plugins.Recipes;

/// <summary>The recipe exceeds <see cref="RecipeSource.MaxBytes"/>; nothing was compiled.</summary>
public sealed class RecipeTooLargeException(string message) : ArgumentException(message);
