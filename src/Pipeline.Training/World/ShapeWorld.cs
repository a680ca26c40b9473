namespace Pipeline.Training.World;

/// <summary>The three shapes of the world: an axis-aligned square, a circle, an upright isosceles triangle (apex up).</summary>
public enum Shape { Circle, Square, Triangle }

/// <summary>A palette colour: its caption word and exact sRGB bytes.</summary>
public readonly record struct WorldColor(string Name, byte R, byte G, byte B)
{
    public override string ToString() => Name;
}

/// <summary>What one image shows: an object colour and shape on a background colour (always different from the object's).</summary>
public sealed record WorldLabels(WorldColor Color, Shape Shape, WorldColor Background)
{
    /// <summary>The caption, exactly <c>a {color} {shape} on a {background} background</c>.</summary>
    public string Caption => ShapeWorld.Caption(Color, Shape, Background);
}

/// <summary>The fixed world of issue 6: eight palette colours, three shapes, one caption template.</summary>
public static class ShapeWorld
{
    public static readonly WorldColor Red = new("red", 220, 40, 40);
    public static readonly WorldColor Orange = new("orange", 240, 140, 30);
    public static readonly WorldColor Yellow = new("yellow", 240, 220, 40);
    public static readonly WorldColor Green = new("green", 40, 180, 60);
    public static readonly WorldColor Blue = new("blue", 40, 80, 220);
    public static readonly WorldColor Purple = new("purple", 150, 50, 200);
    public static readonly WorldColor White = new("white", 245, 245, 245);
    public static readonly WorldColor Black = new("black", 20, 20, 20);

    public static readonly IReadOnlyList<WorldColor> Colors = new[] { Red, Orange, Yellow, Green, Blue, Purple, White, Black };

    /// <summary>
    /// A colour the base model never saw: not in <see cref="Colors"/> (the base data, its evaluation and the detector's
    /// default palette), only in LoRA concept data (<see cref="ConceptWorldData"/>) and <see cref="ExtendedColors"/>.
    /// </summary>
    public static readonly WorldColor Pink = new("pink", 250, 120, 190);

    /// <summary>Colours LoRA training can teach, by caption word.</summary>
    public static readonly IReadOnlyList<WorldColor> ConceptColors = new[] { Pink };

    /// <summary>The base palette plus the concept colours (the detector's palette when a concept is evaluated).</summary>
    public static readonly IReadOnlyList<WorldColor> ExtendedColors = Colors.Concat(ConceptColors).ToArray();

    /// <summary>A concept colour by name (<c>pink</c>).</summary>
    public static WorldColor ConceptNamed(string name) =>
        ConceptColors.FirstOrDefault(c => c.Name == name) is { Name: not null } c
            ? c
            : throw new ArgumentException($"unknown concept '{name}'; valid: {string.Join(", ", ConceptColors.Select(x => x.Name))}");
    public static readonly IReadOnlyList<Shape> Shapes = new[] { Shape.Circle, Shape.Square, Shape.Triangle };

    public static string ShapeName(Shape shape) => shape switch
    {
        Shape.Circle => "circle",
        Shape.Square => "square",
        Shape.Triangle => "triangle",
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "valid shapes: circle, square, triangle"),
    };

    public static string Caption(WorldColor color, Shape shape, WorldColor background)
    {
        if (color == background) throw new ArgumentException($"object and background must differ (both {color.Name})");
        return $"a {color.Name} {ShapeName(shape)} on a {background.Name} background";
    }

    public static WorldColor ColorNamed(string name) =>
        Colors.FirstOrDefault(c => c.Name == name) is { Name: not null } c
            ? c
            : throw new ArgumentException($"unknown colour '{name}'; valid: {string.Join(", ", Colors.Select(x => x.Name))}");

    public static Shape ShapeNamed(string name) =>
        Shapes.Where(s => ShapeName(s) == name).Select(s => (Shape?)s).FirstOrDefault()
            ?? throw new ArgumentException($"unknown shape '{name}'; valid: {string.Join(", ", Shapes.Select(ShapeName))}");

    /// <summary>Reads a caption of the form <c>a {color} {shape} on a {background} background</c> back into labels.</summary>
    public static WorldLabels ParseCaption(string caption)
    {
        var words = caption.Split(' ');
        if (words.Length != 7 || words[0] != "a" || words[3] != "on" || words[4] != "a" || words[6] != "background")
            throw new ArgumentException($"'{caption}' is not of the form 'a {{color}} {{shape}} on a {{background}} background'");
        var labels = new WorldLabels(ColorNamed(words[1]), ShapeNamed(words[2]), ColorNamed(words[5]));
        _ = labels.Caption; // validates object ≠ background
        return labels;
    }
}
