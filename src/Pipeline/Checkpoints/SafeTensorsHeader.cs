using System.Text;
using System.Text.Json;

namespace Pipeline.Checkpoints;

/// <summary>
/// Parses and validates a safetensors header: 8-byte little-endian length, then a JSON object
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>.
/// Every check happens before any tensor memory is allocated, so a hostile header cannot make us
/// over-allocate: offsets must lie inside the file, match dtype x shape exactly and not overlap.
/// </summary>
public static class SafeTensorsHeader
{
    /// <summary>The format's own limit on the header size (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public sealed record Parsed(IReadOnlyDictionary<string, SafeTensorsEntry> Entries,
        IReadOnlyDictionary<string, string> Metadata, long DataStart);

    /// <summary>Validates the header given the first bytes of the file and the total file length.</summary>
    public static Parsed Parse(ReadOnlySpan<byte> lengthPrefix, Func<long, byte[]> readHeader, long fileLength, string source)
    {
        if (fileLength < 8 || lengthPrefix.Length < 8)
            throw Fail(source, $"file is {fileLength} bytes, shorter than the 8-byte header length prefix");
        ulong declared = BitConverter.ToUInt64(lengthPrefix[..8]);
        if (declared > (ulong)MaxHeaderBytes)
            throw Fail(source, $"header length {declared} exceeds the format limit of {MaxHeaderBytes} bytes" + PickleHint(lengthPrefix));
        if ((long)declared > fileLength - 8)
            throw Fail(source, $"header length {declared} runs past the end of the file ({fileLength} bytes)" + PickleHint(lengthPrefix));
        if (declared < 2) throw Fail(source, $"header length {declared} is too small for a JSON object");
        var json = readHeader((long)declared);
        long dataStart = 8 + (long)declared;
        return ParseJson(json, fileLength - dataStart, dataStart, source);
    }

    static string PickleHint(ReadOnlySpan<byte> prefix) =>
        prefix.Length >= 2 && prefix[0] == 0x80 || prefix.Length >= 2 && prefix[0] == (byte)'P' && prefix[1] == (byte)'K'
            ? " (this looks like a pickled PyTorch .ckpt/.pt file; those can execute code and are never loaded: convert it to .safetensors)"
            : "";

    static Parsed ParseJson(byte[] json, long dataLength, long dataStart, string source)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw Fail(source, "header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.AsMemory().TrimEnd((byte)' '), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e) { throw Fail(source, $"header is not valid JSON: {e.Message}"); }
        catch (ArgumentException e) { throw Fail(source, $"header is not valid UTF-8 JSON: {e.Message}"); }
        using (doc)
        {
            try { return ParseRoot(doc, dataLength, dataStart, source); }
            catch (InvalidOperationException e) { throw Fail(source, $"header JSON has an unexpected value: {e.Message}"); }
        }
    }

    static Parsed ParseRoot(JsonDocument doc, long dataLength, long dataStart, string source)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Fail(source, "header JSON is not an object");
        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object) throw Fail(source, "__metadata__ is not an object");
                foreach (var m in property.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw Fail(source, $"__metadata__ value '{m.Name}' is not a string");
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            if (entries.ContainsKey(property.Name)) throw Fail(source, $"tensor '{property.Name}' is listed twice");
            entries[property.Name] = ParseEntry(property.Name, property.Value, dataLength, source);
        }
        CheckNoOverlap(entries.Values, source);
        return new Parsed(entries, metadata, dataStart);
    }

    static SafeTensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string source)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(source, $"tensor '{name}': entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw Fail(source, $"tensor '{name}': missing string 'dtype'");
        var dtype = dtypeEl.GetString()!;
        if (!SafeTensorsDType.TryParse(dtype, out var type, out int size))
            throw Fail(source, $"tensor '{name}': unsupported dtype '{dtype}'; supported: {string.Join(", ", SafeTensorsDType.Names)}");
        if (!value.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw Fail(source, $"tensor '{name}': missing array 'shape'");
        var shape = new List<long>();
        long count = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw Fail(source, $"tensor '{name}': shape entries must be non-negative integers, got {d}");
            shape.Add(dim);
            try { count = checked(count * dim); }
            catch (OverflowException) { throw Fail(source, $"tensor '{name}': shape [{string.Join(", ", shape)}...] overflows"); }
        }
        if (shape.Count > 16) throw Fail(source, $"tensor '{name}': {shape.Count} dimensions is more than 16");
        if (!value.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw Fail(source, $"tensor '{name}': 'data_offsets' must be [begin, end]");
        if (offEl[0].ValueKind != JsonValueKind.Number || offEl[1].ValueKind != JsonValueKind.Number
            || !offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Fail(source, $"tensor '{name}': data_offsets {offEl} are not 0 <= begin <= end");
        if (end > dataLength)
            throw Fail(source, $"tensor '{name}': data_offsets [{begin}, {end}] run past the data section ({dataLength} bytes)");
        long expected;
        try { expected = checked(count * size); }
        catch (OverflowException) { throw Fail(source, $"tensor '{name}': byte size overflows"); }
        if (end - begin != expected)
            throw Fail(source, $"tensor '{name}': data_offsets span {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {expected}");
        return new SafeTensorsEntry(name, dtype, type, shape.ToArray(), begin, end);
    }

    static void CheckNoOverlap(IEnumerable<SafeTensorsEntry> entries, string source)
    {
        SafeTensorsEntry? previous = null;
        foreach (var e in entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw Fail(source, $"tensors '{previous.Name}' [{previous.Begin}, {previous.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap");
            previous = e;
        }
    }

    /// <summary>Serialises entries (already laid out) to a header padded with spaces to a multiple of 8.</summary>
    public static byte[] Serialize(IEnumerable<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType);
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - stream.Length % 8) % 8);
        for (int i = 0; i < pad; i++) stream.WriteByte((byte)' ');
        return stream.ToArray();
    }

    static SafeTensorsFormatException Fail(string source, string problem) => new($"{source}: {problem}");
}
