namespace Pipeline.Training.World;

/// <summary>
/// Deterministic prompts for prompt-fidelity evaluation: all 168 valid (colour, shape, background) combinations,
/// cycled. Item k has shape k mod 3, colour k mod 8 and background offset (k / 24) mod 7, so every 24 consecutive
/// items cover each shape–colour pair once and each background thrice.
/// </summary>
public static class EvaluationPrompts
{
    public static int DistinctCount => ShapeWorld.Colors.Count * ShapeWorld.Shapes.Count * (ShapeWorld.Colors.Count - 1);

    public static WorldLabels At(long k)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "prompt index must be ≥ 0");
        int colors = ShapeWorld.Colors.Count, shapes = ShapeWorld.Shapes.Count;
        int color = (int)(k % colors), offset = (int)(k / (colors * shapes) % (colors - 1));
        return new WorldLabels(ShapeWorld.Colors[color], ShapeWorld.Shapes[(int)(k % shapes)],
            ShapeWorld.Colors[(color + 1 + offset) % colors]);
    }

    /// <summary>The first <paramref name="count"/> prompts (labels; <see cref="WorldLabels.Caption"/> gives the text).</summary>
    public static IReadOnlyList<WorldLabels> Take(int count) =>
        count < 0 ? throw new ArgumentOutOfRangeException(nameof(count), count, "count must be ≥ 0")
                  : Enumerable.Range(0, count).Select(k => At(k)).ToArray();
}
