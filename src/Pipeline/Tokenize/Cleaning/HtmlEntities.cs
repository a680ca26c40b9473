using System.Collections.Frozen;
using System.Text;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// The HTML5 named character references (WHATWG list, as Python's <c>html.entities.html5</c> holds it:
/// names with their ";" and the 106 legacy names also valid without it), read once from the embedded
/// <c>Data/html5-entities.tsv</c>.
/// </summary>
internal static class HtmlEntities
{
    const string ResourceName = "Pipeline.Tokenize.Data.html5-entities.tsv";

    static readonly Lazy<FrozenDictionary<string, string>> Html5 = new(Load);
    static readonly Lazy<FrozenDictionary<string, string>> Conservative = new(BuildConservative);

    /// <summary>Name (without "&amp;", with ";" where the standard has it) → replacement text.</summary>
    public static FrozenDictionary<string, string> ByName => Html5.Value;

    /// <summary>
    /// The references ftfy decodes when it is not sure the text is HTML: "&amp;name;" for every name that ends in
    /// ";", plus the all-caps spelling of each lowercase name (&amp;EACUTE; → É) when that spelling means
    /// nothing to an HTML parser; it decodes to the uppercase of the character.
    /// </summary>
    public static FrozenDictionary<string, string> WithSemicolon => Conservative.Value;

    static FrozenDictionary<string, string> Load()
    {
        using var stream = typeof(HtmlEntities).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from the Pipeline assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var entities = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            string[] fields = line.Split('\t');
            if (fields.Length != 2) throw new InvalidDataException($"{ResourceName}: bad line '{line}'.");
            entities[fields[0]] = string.Concat(fields[1].Split(' ').Select(hex => char.ConvertFromUtf32(Convert.ToInt32(hex, 16))));
        }
        return entities.ToFrozenDictionary(StringComparer.Ordinal);
    }

    static FrozenDictionary<string, string> BuildConservative()
    {
        var entities = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in ByName)
        {
            if (!name.EndsWith(';')) continue;
            entities["&" + name] = value;
            if (name != name.ToLowerInvariant()) continue;
            string upper = "&" + name.ToUpperInvariant();
            if (HtmlUnescape.Python(upper) == upper) entities[upper] = PythonUpper(value);
        }
        return entities.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Python's <c>str.upper()</c> for entity values: the simple mapping, except the characters whose uppercase is two letters.</summary>
    static string PythonUpper(string value)
    {
        var output = new StringBuilder();
        foreach (Rune rune in value.EnumerateRunes())
        {
            output.Append(rune.Value switch
            {
                0x00DF => "SS",
                0x0149 => "\u02BCN",
                0xFB00 => "FF",
                0xFB01 => "FI",
                0xFB02 => "FL",
                0xFB03 => "FFI",
                0xFB04 => "FFL",
                0xFB05 or 0xFB06 => "ST",
                _ => Rune.ToUpperInvariant(rune).ToString(),
            });
        }
        return output.ToString();
    }
}
