using System.Text.Json.Nodes;
using Pipeline.Models.Bundles;

namespace Pipeline.Tests.Models;

/// <summary>Damage to a model config as stored in a checkpoint's metadata, picked by a seed: hostile numbers, wrong types, deleted or added fields, long arrays, deep nesting, text-level flips and cuts.</summary>
public static class ModelConfigMutation
{
    public static readonly string[] Kinds = { "number", "type", "delete", "add", "array", "string", "text-flip", "text-cut", "nesting", "several" };

    static readonly SdxlModelConfig[] Bases = { SdxlModelConfig.TinyBase, SdxlModelConfig.TinyRefiner, SdxlModelConfig.SdxlBase, SdxlModelConfig.SdxlRefiner };

    static readonly string[] HostileNumbers =
    {
        "0", "-1", "1", "2", "3", "7", "8", "9", "64", "65", "4096", "4097", "16384", "16385", "100000000", "2147483647", "2147483648",
        "-2147483648", "9223372036854775807", "1e308", "-1e308", "1.5", "0.0", "-0.0", "1e-300", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "1E400",
    };

    public static (string Kind, string Json) Apply(int seed)
    {
        var rng = new Random(seed);
        var json = SdxlModelConfigJson.Serialize(Bases[rng.Next(Bases.Length)]);
        var kind = Kinds[rng.Next(Kinds.Length)];
        if (kind == "several")
        {
            for (int i = rng.Next(2, 6); i > 0; i--) json = Mutate(Kinds[rng.Next(Kinds.Length - 1)], json, rng);
            return (kind, json);
        }
        return (kind, Mutate(kind, json, rng));
    }

    static string Mutate(string kind, string json, Random rng)
    {
        switch (kind)
        {
            case "text-flip":
                var chars = json.ToCharArray();
                for (int i = rng.Next(1, 4); i > 0; i--) chars[rng.Next(chars.Length)] = "{}[]\",:0123456789-eE.ntfxa \\"[rng.Next(28)];
                return new string(chars);
            case "text-cut":
                return json[..rng.Next(json.Length)];
            case "nesting":
                int depth = rng.Next(10, 5000);
                var (open, close) = rng.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
                var deep = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
                return ReplaceNode(json, rng, _ => JsonNode.Parse("0")!, deep);
        }
        JsonNode root;
        try { root = JsonNode.Parse(json)!; }
        catch (System.Text.Json.JsonException) { return json; } // an earlier text mutation: leave it
        var nodes = All(root).ToList();
        var node = nodes[rng.Next(nodes.Count)];
        switch (kind)
        {
            case "number":
                Replace(node, JsonNode.Parse(HostileNumbers[rng.Next(HostileNumbers.Length)]));
                break;
            case "type":
                Replace(node, rng.Next(6) switch { 0 => null, 1 => JsonValue.Create(true), 2 => JsonValue.Create("x"), 3 => new JsonObject(), 4 => new JsonArray(), _ => JsonValue.Create(rng.Next(-5, 100)) });
                break;
            case "string":
                Replace(node, JsonValue.Create(new[] { "", "eps", "v", "edm", "Base", "Refiner", "nope", "\u0000", new string('x', 10000) }[rng.Next(9)]));
                break;
            case "delete":
                if (node.Parent is JsonObject o) o.Remove(node.GetPropertyName());
                else if (node.Parent is JsonArray a) a.RemoveAt(node.GetElementIndex());
                break;
            case "add":
                var target = nodes.OfType<JsonObject>().ElementAt(rng.Next(nodes.OfType<JsonObject>().Count()));
                target[new[] { "Unknown", "$type", "NumResBlocks", "Embedders", "Name", "" }[rng.Next(6)] + (rng.Next(2) == 0 ? "" : "2")] = JsonNode.Parse(HostileNumbers[rng.Next(HostileNumbers.Length)]);
                break;
            case "array":
                var arrays = nodes.OfType<JsonArray>().ToList();
                if (arrays.Count == 0) break;
                var array = arrays[rng.Next(arrays.Count)];
                int extra = new[] { 1, 2, 8, 100, 100_000 }[rng.Next(5)];
                var element = array.Count > 0 ? array[rng.Next(array.Count)]?.ToJsonString() ?? "null" : "1";
                for (int i = 0; i < extra; i++) array.Add(JsonNode.Parse(element));
                break;
        }
        return root.ToJsonString();
    }

    static string ReplaceNode(string json, Random rng, Func<JsonNode?, JsonNode?> _, string raw)
    {
        JsonNode root;
        try { root = JsonNode.Parse(json)!; }
        catch (System.Text.Json.JsonException) { return json; } // an earlier mutation: leave it
        var nodes = All(root).Where(n => n.Parent is not null).ToList();
        var node = nodes[rng.Next(nodes.Count)];
        const string marker = "\"__FUZZ_MARKER__\"";
        Replace(node, JsonValue.Create("__FUZZ_MARKER__"));
        return root.ToJsonString().Replace(marker, raw);
    }

    static void Replace(JsonNode node, JsonNode? with)
    {
        if (node.Parent is JsonObject o) o[node.GetPropertyName()] = with;
        else if (node.Parent is JsonArray a) a[node.GetElementIndex()] = with;
    }

    static IEnumerable<JsonNode> All(JsonNode? node)
    {
        if (node is null) yield break;
        yield return node;
        var children = node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a.AsEnumerable(), _ => Enumerable.Empty<JsonNode?>() };
        foreach (var c in children.ToList()) foreach (var d in All(c)) yield return d;
    }
}
