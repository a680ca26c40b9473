using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Checkpoints;

/// <summary>How a valid safetensors file is damaged: a kind and the seed that picks the details.</summary>
public sealed record HeaderMutation(string Kind, int Seed)
{
    public override string ToString() => $"{Kind} (seed {Seed})";

    /// <summary>Words one of which a refusal of this kind must contain (null: any clear refusal will do).</summary>
    public string[]? ExpectedWords => Kind switch
    {
        "truncate" => new[] { "past", "shorter", "ended" },
        "length" => new[] { "header length", "JSON", "header is not", "past", "shorter" },
        "dtype" => new[] { "dtype", "needs" },
        "shape" => new[] { "shape", "data_offsets", "dimensions", "overflows" },
        "offsets" => new[] { "data_offsets", "overlap" },
        "delete" => new[] { "missing", "'data_offsets' must be" },
        _ => null,
    };
}

/// <summary>Generates damage to a valid file: byte flips, bad length prefixes, truncations, and JSON-level edits of dtypes, shapes, offsets, fields and structure.</summary>
public static class HeaderMutationArbitrary
{
    public static readonly string[] Kinds = { "flip", "length", "truncate", "dtype", "shape", "offsets", "delete", "structure", "append" };

    public static Arbitrary<HeaderMutation> Mutation() =>
        Arb.From(from kind in Gen.Elements(Kinds) from seed in Gen.Choose(0, int.MaxValue) select new HeaderMutation(kind, seed));

    /// <summary>The damaged bytes of <paramref name="valid"/>.</summary>
    public static byte[] Apply(HeaderMutation m, byte[] valid)
    {
        var rng = new Random(m.Seed);
        long headerLength = (long)BitConverter.ToUInt64(valid, 0);
        var data = valid.AsSpan((int)(8 + headerLength)).ToArray();
        switch (m.Kind)
        {
            case "flip":
            {
                var bytes = (byte[])valid.Clone();
                int n = rng.Next(1, 5);
                for (int i = 0; i < n; i++) bytes[rng.Next(0, (int)(8 + headerLength))] = (byte)rng.Next(256);
                return bytes;
            }
            case "length":
            {
                ulong[] candidates =
                {
                    0, 1, 2, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)valid.Length - 8, (ulong)valid.Length - 7,
                    (ulong)valid.Length, 1UL << 31, (1UL << 32) + (ulong)headerLength, 100_000_001, ulong.MaxValue, 1UL << 63,
                    (ulong)rng.NextInt64(),
                };
                var bytes = (byte[])valid.Clone();
                BitConverter.GetBytes(candidates[rng.Next(candidates.Length)]).CopyTo(bytes, 0);
                return bytes;
            }
            case "truncate":
                return valid[..rng.Next(0, valid.Length)];
            case "append":
            {
                var extra = new byte[rng.Next(1, 64)];
                rng.NextBytes(extra);
                return valid.Concat(extra).ToArray();
            }
        }
        var header = JsonNode.Parse(valid.AsSpan(8, (int)headerLength))!.AsObject();
        var names = header.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList();
        var entry = header[names[rng.Next(names.Count)]]!.AsObject();
        switch (m.Kind)
        {
            case "dtype":
                entry["dtype"] = Pick(rng, () => "F8", () => "", () => "f32", () => 5, () => null, () => "BF16 ", () => "I64", () => "U8", () => "F64", () => new JsonArray());
                break;
            case "shape":
                entry["shape"] = Pick(rng,
                    () => new JsonArray(-1), () => new JsonArray(1L << 62, 1L << 62), () => new JsonArray(1e30), () => new JsonArray(1.5),
                    () => new JsonArray("a"), () => new JsonArray(Enumerable.Range(0, 17).Select(_ => (JsonNode?)JsonValue.Create(1)).ToArray()), () => new JsonArray(),
                    () => new JsonArray(long.MaxValue), () => null, () => new JsonObject(), () => new JsonArray(3, 7), () => new JsonArray(0),
                    () => new JsonArray(2, 1L << 61, 4));
                break;
            case "offsets":
            {
                var other = header[names[rng.Next(names.Count)]]!["data_offsets"]!.AsArray();
                long begin = other[0]!.GetValue<long>(), end = other[1]!.GetValue<long>();
                entry["data_offsets"] = Pick(rng,
                    () => new JsonArray(end, begin), () => new JsonArray(-1, end), () => new JsonArray(0, valid.Length * 2L),
                    () => new JsonArray(begin + 1, end + 1), () => new JsonArray(0), () => new JsonArray(0, 1, 2),
                    () => new JsonArray("0", "4"), () => new JsonArray(1.5, 2), () => new JsonArray(long.MaxValue, long.MaxValue), () => null,
                    () => new JsonArray(begin, end), () => new JsonArray(data.Length, data.Length + 8));
                break;
            }
            case "delete":
                entry.Remove(new[] { "dtype", "shape", "data_offsets" }[rng.Next(3)]);
                break;
            case "structure":
                return StructureDamage(rng, header, names, data);
        }
        return Build(Encoding.UTF8.GetBytes(header.ToJsonString()), data);
    }

    static byte[] StructureDamage(Random rng, JsonObject header, List<string> names, byte[] data)
    {
        string json = header.ToJsonString();
        switch (rng.Next(9))
        {
            case 0: json = "[" + json + "]"; break;
            case 1: json = "\"just a string\""; break;
            case 2: json = new string('[', 200) + new string(']', 200); break;
            case 3: json = json.TrimEnd('}') + $",\"{names[0]}\":{header[names[0]]!.ToJsonString()}}}"; break;
            case 4: header["__metadata__"] = new JsonObject { ["k"] = 5 }; json = header.ToJsonString(); break;
            case 5: header["__metadata__"] = new JsonArray(); json = header.ToJsonString(); break;
            case 6: header[names[rng.Next(names.Count)]] = 42; json = header.ToJsonString(); break;
            case 7: header[names[0]]!.AsObject()["extra"] = "ignored"; json = header.ToJsonString(); break;
            default: json = json[..rng.Next(1, json.Length)]; break;
        }
        return Build(Encoding.UTF8.GetBytes(json), data);
    }

    static JsonNode? Pick(Random rng, params Func<JsonNode?>[] options) => options[rng.Next(options.Length)]();

    static byte[] Build(byte[] json, byte[] data) =>
        BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(data).ToArray();
}
