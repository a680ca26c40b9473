using System.Globalization;
using System.Text;

namespace Pipeline.Cli.Rendering;

/// <summary>
/// JSON values written the way Python's <c>json.dumps</c> writes them by default (<c>ensure_ascii</c>): every
/// non-ASCII UTF-16 unit as <c>\uXXXX</c>, so any string, an unpaired surrogate included, is written without an
/// exception and reads back unchanged. Doubles are the shortest round-trip form; non-finite ones the strings
/// <c>"Infinity"</c>, <c>"-Infinity"</c>, <c>"NaN"</c> (JSON has no such numbers).
/// </summary>
public static class AsciiJson
{
    public static string String(string? value)
    {
        if (value is null) return "null";
        var json = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ' or > '~': json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"').ToString();
    }

    public static string Number(double value) =>
        double.IsNaN(value) ? "\"NaN\""
        : double.IsPositiveInfinity(value) ? "\"Infinity\""
        : double.IsNegativeInfinity(value) ? "\"-Infinity\""
        : value.ToString("R", CultureInfo.InvariantCulture);
}
