using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Pipeline.Generation;

/// <summary>
/// A component as text, the same on every machine and culture: its type name and its public knobs
/// (<c>EulerEDMSampler(SChurn=0, STmin=0, STmax=∞, SNoise=1)</c>). Nested records print the same way.
/// </summary>
public static class ComponentText
{
    public static string Of(object? component, int depth = 0) => component switch
    {
        null => "none",
        string s => $"\"{s}\"",
        double d => Number(d),
        float f => Number(f),
        IFormattable x when component.GetType().IsPrimitive || component is decimal => x.ToString(null, CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => e.ToString(),
        IEnumerable list when depth < 2 => "[" + string.Join(", ", list.Cast<object?>().Take(8).Select(o => Of(o, depth + 1))) + "]",
        _ when depth < 2 => Knobs(component, depth),
        _ => component.GetType().Name,
    };

    /// <summary>A number with up to 6 significant digits, invariant (∞ for infinity).</summary>
    public static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "∞" : double.IsNegativeInfinity(v) ? "-∞" : v.ToString("G6", CultureInfo.InvariantCulture);

    static string Knobs(object component, int depth)
    {
        var type = component.GetType();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken)
            .ToList();
        if (properties.Count == 0) return type.Name;
        return $"{type.Name}({string.Join(", ", properties.Select(p => $"{p.Name}={Of(Read(p, component), depth + 1)}"))})";
    }

    static object? Read(PropertyInfo p, object o)
    {
        try { return p.GetValue(o); }
        catch (TargetInvocationException) { return "?"; }
    }
}
