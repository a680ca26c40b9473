namespace Pipeline.Plugins.Recipes;

/// <summary>Where a recipe reports what it is doing; the CLI renders it, tests record it.</summary>
public interface IRecipeProgress
{
    /// <summary><paramref name="step"/> of <paramref name="total"/> done in <paramref name="stage"/> (0 ≤ step ≤ total, total ≥ 1).</summary>
    void Report(string stage, int step, int total);

    /// <summary>A line of text for the user.</summary>
    void Log(string message);
}

/// <summary>The argument checks every <see cref="IRecipeProgress"/> applies, so a recipe's mistakes fail the same way everywhere.</summary>
public static class RecipeProgressChecks
{
    public static void Step(string stage, int step, int total)
    {
        if (string.IsNullOrWhiteSpace(stage)) throw new ArgumentException("progress stage must be named", nameof(stage));
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, $"stage '{stage}': total must be at least 1");
        if (step < 0 || step > total)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"stage '{stage}': step must be in 0..{total}");
    }
}
