using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Pipeline.Imaging;

/// <summary>
/// Reads and inserts PNG <c>tEXt</c>/<c>iTXt</c> chunks (the codec does not write them). Text that is not
/// Latin-1 goes into an uncompressed iTXt chunk (UTF-8), as the PNG specification asks.
/// </summary>
public static class PngTextChunks
{
    static readonly byte[] Signature = { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>A copy of <paramref name="png"/> with a text chunk <paramref name="keyword"/> = <paramref name="text"/> after IHDR.</summary>
    public static byte[] Insert(byte[] png, string keyword, string text)
    {
        CheckSignature(png);
        if (keyword.Length is < 1 or > 79 || keyword.Any(c => c < 32 || c > 126)) throw new ArgumentException($"invalid PNG keyword '{keyword}'");
        int ihdrEnd = 8 + 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(8));
        bool latin1 = text.All(c => c is >= ' ' and <= '~' or '\n' || c is >= '\u00a1' and <= '\u00ff');
        byte[] data = latin1
            ? Encoding.Latin1.GetBytes(keyword).Append((byte)0).Concat(Encoding.Latin1.GetBytes(text)).ToArray()
            : Encoding.Latin1.GetBytes(keyword).Concat(new byte[] { 0, 0, 0, 0, 0 }).Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        var chunk = Chunk(latin1 ? "tEXt" : "iTXt", data);
        return png.Take(ihdrEnd).Concat(chunk).Concat(png.Skip(ihdrEnd)).ToArray();
    }

    /// <summary>All tEXt and uncompressed iTXt chunks of a PNG, keyword → text.</summary>
    public static IReadOnlyDictionary<string, string> Read(byte[] png)
    {
        CheckSignature(png);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        int at = 8;
        while (at + 12 <= png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            if (length < 0 || at + 12 + (long)length > png.Length) throw new InvalidDataException($"PNG chunk at byte {at} runs past the end of the file");
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            int zero = data.IndexOf((byte)0);
            if (type == "tEXt" && zero > 0)
                result[Encoding.Latin1.GetString(data[..zero])] = Encoding.Latin1.GetString(data[(zero + 1)..]);
            else if (type == "iTXt" && zero > 0 && data.Length > zero + 2 && data[zero + 1] == 0)
            {
                var rest = data[(zero + 3)..];
                int lang = rest.IndexOf((byte)0);
                int translated = lang < 0 ? -1 : rest[(lang + 1)..].IndexOf((byte)0);
                if (translated >= 0) result[Encoding.Latin1.GetString(data[..zero])] = Encoding.UTF8.GetString(rest[(lang + 1 + translated + 1)..]);
            }
            if (type == "IEND") break;
            at += 12 + length;
        }
        return result;
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

    static void CheckSignature(byte[] png)
    {
        if (png.Length < 8 + 25 || !png.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("not a PNG file");
    }
}
