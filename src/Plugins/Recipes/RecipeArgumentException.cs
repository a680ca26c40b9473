namespace Pipeline.Plugins.Recipes;

/// <summary>A recipe argument that is missing, malformed or of the wrong type; the message lists the keys given.</summary>
public sealed class RecipeArgumentException(string message) : ArgumentException(message);
