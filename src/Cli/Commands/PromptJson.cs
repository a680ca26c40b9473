using System.Text;
using Pipeline.Cli.Rendering;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Cli.Commands;

/// <summary>The JSON object of <c>sdxl prompt</c> (schema in <see cref="PromptCommand"/>), ASCII-escaped, keys in a fixed order.</summary>
internal static class PromptJson
{
    public static string Of(PromptCommand.Reading r)
    {
        var sb = new StringBuilder();
        sb.Append("{\"prompt\": ").Append(AsciiJson.String(r.Prompt));
        if (r.Error is not null)
            return sb.Append(", \"error\": ").Append(AsciiJson.String(r.Error)).Append('}').ToString();
        sb.Append(", \"pieces\": [").Append(string.Join(", ", r.Pieces.Select(p => $"[{AsciiJson.String(p.Text)}, {AsciiJson.Number(p.Weight)}]"))).Append(']');
        var e = r.Encoding!;
        sb.Append(", \"style\": ").Append(AsciiJson.String(r.Style.Name()));
        sb.Append(", \"networks\": [").Append(string.Join(", ", e.Networks.Select(n =>
            $"{{\"kind\": {AsciiJson.String(n.Kind)}, \"name\": {AsciiJson.String(n.Name)}, \"args\": [{string.Join(", ", n.Arguments.Select(AsciiJson.String))}]}}"))).Append(']');
        sb.Append(", \"embeddings\": [").Append(string.Join(", ", e.Embeddings.Values.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v =>
            $"{{\"name\": {AsciiJson.String(v.Name)}, \"vectors\": {v.VectorCount}, \"file\": {(v.Source is null ? "null" : AsciiJson.String(v.Source))}}}"))).Append(']');
        Encoder(sb, "clip_l", e.ClipL);
        Encoder(sb, "clip_g", e.OpenClip);
        return sb.Append('}').ToString();
    }

    static void Encoder(StringBuilder sb, string key, EncoderChunks chunks)
    {
        sb.Append(", ").Append(AsciiJson.String(key)).Append(": {\"tokens\": ").Append(chunks.TokenCount).Append(", \"dropped\": ").Append(chunks.DroppedTokens)
            .Append(", \"chunks\": [");
        sb.Append(string.Join(", ", chunks.Chunks.Select(c =>
            $"{{\"ids\": [{string.Join(", ", c.Ids)}], \"weights\": [{string.Join(", ", c.Weights.Select(AsciiJson.Number))}], " +
            $"\"embeddings\": [{string.Join(", ", c.Embeddings.Select(s => $"[{s.Position}, {AsciiJson.String(s.Name)}, {s.Vector}]"))}]}}")));
        sb.Append("]}");
    }
}
