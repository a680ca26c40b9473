using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Pipeline.Imaging;

/// <summary>
/// The chunk layout of a PNG file, walked with every length and CRC checked. A PNG whose chunk runs past the end,
/// whose CRC does not match (critical or ancillary: libpng would drop a damaged ancillary chunk silently) or that
/// ends before <c>IEND</c> is damaged, and is refused here with <see cref="InvalidDataException"/> naming the chunk.
/// </summary>
public static class PngChunks
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>One chunk: its four-letter type and where its data lies in the file.</summary>
    public readonly record struct Chunk(string Type, int DataOffset, int Length);

    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[..8].SequenceEqual(Signature);

    /// <summary>Every chunk from IHDR to IEND (bytes after IEND are ignored); <paramref name="name"/> prefixes errors.</summary>
    public static IReadOnlyList<Chunk> Read(byte[] png, string name = "PNG data")
    {
        if (!HasSignature(png)) throw new InvalidDataException($"{name}: not a PNG file");
        var chunks = new List<Chunk>();
        int at = 8;
        while (true)
        {
            if (at + 12 > png.Length) throw new InvalidDataException($"{name}: the PNG ends at byte {png.Length} before its IEND chunk (truncated)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            if (length > int.MaxValue || at + 12 + (long)length > png.Length)
                throw new InvalidDataException($"{name}: PNG chunk at byte {at} ({length} bytes) runs past the end of the file (truncated)");
            var typeBytes = png.AsSpan(at + 4, 4);
            foreach (var b in typeBytes)
                if (!char.IsAsciiLetter((char)b)) throw new InvalidDataException($"{name}: PNG chunk at byte {at} has an invalid type (damaged)");
            var type = Encoding.ASCII.GetString(typeBytes);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + (int)length));
            if (Crc32.HashToUInt32(png.AsSpan(at + 4, 4 + (int)length)) != stored)
                throw new InvalidDataException($"{name}: PNG chunk {type} at byte {at} has a bad CRC (damaged)");
            if (chunks.Count == 0 && (type != "IHDR" || length != 13))
                throw new InvalidDataException($"{name}: a PNG must start with a 13-byte IHDR chunk, found {type} ({length} bytes)");
            chunks.Add(new Chunk(type, at + 8, (int)length));
            if (type == "IEND") return chunks;
            at += 12 + (int)length;
        }
    }

    /// <summary>(width, height) from the IHDR chunk of a verified chunk list.</summary>
    public static (long Width, long Height) Dimensions(byte[] png, IReadOnlyList<Chunk> chunks) =>
        (BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(chunks[0].DataOffset)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(chunks[0].DataOffset + 4)));

    /// <summary>Deflate's largest expansion (258 bytes per 2-bit code, ≈ 1032:1), rounded up.</summary>
    public const int MaxDeflateRatio = 1100;

    /// <summary>
    /// Refuses a header that claims more pixels than its image data can hold: the filtered scanlines of a
    /// width × height image need <c>height × (1 + ⌈width × bits per pixel / 8⌉)</c> bytes, and IDAT's deflate data
    /// expands at most <see cref="MaxDeflateRatio"/> times. So a small file cannot make the reader allocate a large
    /// buffer before the decoder finds the data missing.
    /// </summary>
    public static void CheckDataCanHoldPixels(byte[] png, IReadOnlyList<Chunk> chunks, string name)
    {
        var (width, height) = Dimensions(png, chunks);
        int bitDepth = png[chunks[0].DataOffset + 8], colorType = png[chunks[0].DataOffset + 9];
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 1 };
        long rawBytes = height * (1 + (width * channels * bitDepth + 7) / 8);
        long idat = chunks.Where(c => c.Type == "IDAT").Sum(c => (long)c.Length);
        if (rawBytes > idat * MaxDeflateRatio + 1024)
            throw new InvalidDataException($"{name}: the header says {width}x{height} but the file holds only {idat} bytes of image data (truncated or damaged)");
    }
}
