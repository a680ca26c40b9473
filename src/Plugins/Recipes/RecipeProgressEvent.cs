namespace Pipeline.Plugins.Recipes;

/// <summary>One thing a recipe reported.</summary>
public abstract record RecipeProgressEvent
{
    /// <summary>A step of a stage.</summary>
    public sealed record Step(string Stage, int Done, int Total) : RecipeProgressEvent;

    /// <summary>A line of text.</summary>
    public sealed record Logged(string Message) : RecipeProgressEvent;
}
