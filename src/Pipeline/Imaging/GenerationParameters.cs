using System.Globalization;
using System.Text;

namespace Pipeline.Imaging;

/// <summary>
/// The settings that produced an image, stored in the PNG <c>parameters</c> text chunk in the layout
/// AUTOMATIC1111's web UI writes (prompt line, <c>Negative prompt:</c> line, then <c>Key: value, …</c>), so
/// existing tools can read them back.
/// </summary>
public sealed record GenerationParameters(
    string Prompt, string NegativePrompt, int Steps, string Sampler, string Schedule, double CfgScale, long Seed,
    int Width, int Height, string Model, string? ModelHash = null, IReadOnlyDictionary<string, string>? Extra = null)
{
    public string ToA1111()
    {
        var sb = new StringBuilder();
        sb.Append(Prompt).Append('\n');
        if (!string.IsNullOrEmpty(NegativePrompt)) sb.Append("Negative prompt: ").Append(NegativePrompt).Append('\n');
        var fields = new List<(string, string)>
        {
            ("Steps", Steps.ToString(CultureInfo.InvariantCulture)), ("Sampler", Sampler), ("Schedule type", Schedule),
            ("CFG scale", CfgScale.ToString("0.###", CultureInfo.InvariantCulture)), ("Seed", Seed.ToString(CultureInfo.InvariantCulture)),
            ("Size", $"{Width}x{Height}"),
        };
        if (!string.IsNullOrEmpty(ModelHash)) fields.Add(("Model hash", ModelHash));
        fields.Add(("Model", Model));
        if (Extra is not null) fields.AddRange(Extra.Select(kv => (kv.Key, kv.Value)));
        sb.Append(string.Join(", ", fields.Select(f => $"{f.Item1}: {Quote(f.Item2)}")));
        return sb.ToString();
    }

    static string Quote(string value) =>
        value.IndexOfAny(new[] { ',', ':', '"', '\n' }) >= 0 ? "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"" : value;

    /// <summary>Parses the A1111 text; fails with the reason when a required field is missing or malformed.</summary>
    public static GenerationParameters Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int last = lines.Length - 1;
        while (last > 0 && lines[last].Length == 0) last--;
        var fieldsLine = lines[last];
        var negativeStart = Array.FindIndex(lines, 0, last, l => l.StartsWith("Negative prompt: ", StringComparison.Ordinal));
        var prompt = string.Join("\n", lines.Take(negativeStart >= 0 ? negativeStart : last));
        var negative = negativeStart >= 0
            ? string.Join("\n", lines.Skip(negativeStart).Take(last - negativeStart))["Negative prompt: ".Length..]
            : "";
        var fields = ParseFields(fieldsLine);
        string Field(string key) => fields.TryGetValue(key, out var v) ? v
            : throw new FormatException($"generation parameters lack '{key}'; found: {string.Join(", ", fields.Keys)}");
        var size = Field("Size").Split('x');
        if (size.Length != 2) throw new FormatException($"Size '{Field("Size")}' is not WIDTHxHEIGHT");
        var known = new HashSet<string> { "Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model" };
        var extra = fields.Where(kv => !known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new GenerationParameters(prompt, negative, int.Parse(Field("Steps"), CultureInfo.InvariantCulture), Field("Sampler"),
            fields.GetValueOrDefault("Schedule type", "automatic"), double.Parse(Field("CFG scale"), CultureInfo.InvariantCulture),
            long.Parse(Field("Seed"), CultureInfo.InvariantCulture), int.Parse(size[0], CultureInfo.InvariantCulture),
            int.Parse(size[1], CultureInfo.InvariantCulture), fields.GetValueOrDefault("Model", ""), fields.GetValueOrDefault("Model hash"),
            extra.Count > 0 ? extra : null);
    }

    static Dictionary<string, string> ParseFields(string line)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ') i++;
            int colon = line.IndexOf(": ", i, StringComparison.Ordinal);
            if (colon < 0) break;
            var key = line[i..colon];
            i = colon + 2;
            string value;
            if (i < line.Length && line[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length) { sb.Append(line[i + 1] == 'n' ? '\n' : line[i + 1]); i += 2; }
                    else sb.Append(line[i++]);
                }
                i++;
                value = sb.ToString();
                int comma = line.IndexOf(',', i);
                i = comma < 0 ? line.Length : comma + 1;
            }
            else
            {
                int comma = line.IndexOf(", ", i, StringComparison.Ordinal);
                value = comma < 0 ? line[i..] : line[i..comma];
                i = comma < 0 ? line.Length : comma + 2;
            }
            result[key] = value;
        }
        return result;
    }
}
