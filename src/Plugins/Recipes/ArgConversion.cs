using System.Globalization;

namespace Pipeline.Plugins.Recipes;

/// <summary>Text → typed value for recipe arguments: int, long, float, double, decimal, bool, string, enums and their nullables.</summary>
static class ArgConversion
{
    static readonly IReadOnlyDictionary<Type, string> Supported = new Dictionary<Type, string>
    {
        [typeof(string)] = "string",
        [typeof(int)] = "int",
        [typeof(long)] = "long",
        [typeof(float)] = "float",
        [typeof(double)] = "double",
        [typeof(decimal)] = "decimal",
        [typeof(bool)] = "bool",
    };

    static readonly string[] TrueWords = ["true", "yes", "on", "1"];
    static readonly string[] FalseWords = ["false", "no", "off", "0"];

    /// <summary>The name users see for <paramref name="type"/>; throws for types arguments cannot hold.</summary>
    public static string Describe(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsEnum) return $"{t.Name} (one of: {string.Join(", ", Enum.GetNames(t))})";
        return Supported.TryGetValue(t, out var name)
            ? name
            : throw new RecipeArgumentException(
                $"recipe arguments cannot be read as {type.Name}; supported: {string.Join(", ", Supported.Values)}, enums and their nullable forms");
    }

    /// <summary>Parses <paramref name="text"/> as <paramref name="type"/> (invariant culture); false when it does not parse.</summary>
    public static bool TryConvert(Type type, string text, out object? value)
    {
        Describe(type);
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var s = text.Trim();
        var inv = CultureInfo.InvariantCulture;
        (bool ok, object? v) result = t switch
        {
            _ when t == typeof(string) => (true, text),
            _ when t == typeof(int) => (int.TryParse(s, NumberStyles.Integer, inv, out var i), i),
            _ when t == typeof(long) => (long.TryParse(s, NumberStyles.Integer, inv, out var l), l),
            _ when t == typeof(float) => (float.TryParse(s, NumberStyles.Float, inv, out var f) && float.IsFinite(f), f),
            _ when t == typeof(double) => (double.TryParse(s, NumberStyles.Float, inv, out var d) && double.IsFinite(d), d),
            _ when t == typeof(decimal) => (decimal.TryParse(s, NumberStyles.Float, inv, out var m), m),
            _ when t == typeof(bool) => ParseBool(s),
            _ => ParseEnum(t, s),
        };
        value = result.ok ? result.v : null;
        return result.ok;
    }

    static (bool, object?) ParseBool(string s) =>
        TrueWords.Contains(s, StringComparer.OrdinalIgnoreCase) ? (true, true)
        : FalseWords.Contains(s, StringComparer.OrdinalIgnoreCase) ? (true, false)
        : (false, null);

    /// <summary>Enum names only (case-insensitive), never numbers: "3" is not a sampler kind.</summary>
    static (bool, object?) ParseEnum(Type t, string s)
    {
        var name = Enum.GetNames(t).FirstOrDefault(n => string.Equals(n, s, StringComparison.OrdinalIgnoreCase));
        return name is null ? (false, null) : (true, Enum.Parse(t, name));
    }
}
