using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Pipeline.Imaging;

/// <summary>
/// Reads PNG <c>tEXt</c>/<c>zTXt</c>/<c>iTXt</c> chunks and inserts <c>tEXt</c>/<c>iTXt</c> ones (the codec does not write them). Text that is not
/// Latin-1 goes into an uncompressed iTXt chunk (UTF-8), as the PNG specification asks.
/// </summary>
public static class PngTextChunks
{
    /// <summary>A copy of <paramref name="png"/> with a text chunk <paramref name="keyword"/> = <paramref name="text"/> after IHDR.</summary>
    public static byte[] Insert(byte[] png, string keyword, string text)
    {
        if (!PngChunks.HasSignature(png) || png.Length < 8 + 25) throw new InvalidDataException("not a PNG file");
        if (keyword.Length is < 1 or > 79 || keyword.Any(c => c < 32 || c > 126)) throw new ArgumentException($"invalid PNG keyword '{keyword}'");
        int ihdrEnd = 8 + 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(8));
        bool latin1 = text.All(c => c is >= ' ' and <= '~' or '\n' || c is >= '\u00a1' and <= '\u00ff');
        byte[] data = latin1
            ? Encoding.Latin1.GetBytes(keyword).Append((byte)0).Concat(Encoding.Latin1.GetBytes(text)).ToArray()
            : Encoding.Latin1.GetBytes(keyword).Concat(new byte[] { 0, 0, 0, 0, 0 }).Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        var chunk = Chunk(latin1 ? "tEXt" : "iTXt", data);
        return png.Take(ihdrEnd).Concat(chunk).Concat(png.Skip(ihdrEnd)).ToArray();
    }

    /// <summary>
    /// The most text one chunk may decompress to (an A1111 <c>parameters</c> text is a few KiB): a zTXt or compressed
    /// iTXt chunk that inflates beyond it is refused, so a small "zip bomb" cannot exhaust memory.
    /// </summary>
    public const int MaxTextBytes = 1 << 20;

    /// <summary>
    /// All tEXt, zTXt and iTXt (compressed or not) chunks of a PNG, keyword → text. The chunks' lengths and CRCs are
    /// verified first (<see cref="PngChunks"/>); damage throws <see cref="InvalidDataException"/> prefixed with <paramref name="name"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Read(byte[] png, string name = "PNG data")
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in PngChunks.Read(png, name))
        {
            var data = png.AsSpan(chunk.DataOffset, chunk.Length);
            int zero = data.IndexOf((byte)0);
            if (zero <= 0) continue;
            var keyword = Encoding.Latin1.GetString(data[..zero]);
            var rest = data[(zero + 1)..];
            switch (chunk.Type)
            {
                case "tEXt":
                    result[keyword] = Encoding.Latin1.GetString(rest);
                    break;
                case "zTXt" when rest.Length >= 1 && rest[0] == 0:
                    result[keyword] = Encoding.Latin1.GetString(Inflate(rest[1..], name, keyword));
                    break;
                case "iTXt" when rest.Length >= 2 && rest[1] == 0 && rest[0] is 0 or 1:
                    var tail = rest[2..];
                    int lang = tail.IndexOf((byte)0);
                    if (lang < 0) break;
                    int translated = tail[(lang + 1)..].IndexOf((byte)0);
                    if (translated < 0) break;
                    var text = tail[(lang + 1 + translated + 1)..];
                    result[keyword] = Encoding.UTF8.GetString(rest[0] == 1 ? Inflate(text, name, keyword) : text);
                    break;
            }
        }
        return result;
    }

    /// <summary>zlib data → bytes, at most <see cref="MaxTextBytes"/>; damaged or oversized data → <see cref="InvalidDataException"/>.</summary>
    static byte[] Inflate(ReadOnlySpan<byte> compressed, string name, string keyword)
    {
        using var input = new MemoryStream(compressed.ToArray());
        using var zlib = new System.IO.Compression.ZLibStream(input, System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = zlib.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > MaxTextBytes)
                    throw new InvalidDataException($"{name}: the compressed text chunk '{keyword}' inflates to more than {MaxTextBytes / 1024} KiB (refused)");
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(name + ": ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{name}: the compressed text chunk '{keyword}' is damaged ({e.Message})", e);
        }
        return output.ToArray();
    }

    static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, 0, 4, chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.HashToUInt32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }
}
