using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using Pipeline.Imaging;
using static TorchSharp.torch;

namespace Pipeline.Tests.Imaging;

/// <summary>Real PNGs and hand-made chunks for the strict-input tests and the PNG fuzz.</summary>
public static class PngFixtures
{
    /// <summary>A 16×12 noise PNG with a tEXt <c>parameters</c> chunk, a zTXt and a compressed iTXt chunk.</summary>
    public static byte[] Real()
    {
        using var scope = NewDisposeScope();
        var png = PngImage.Encode(rand(3, 12, 16, generator: new Generator(11)));
        png = PngTextChunks.Insert(png, PngImage.ParametersKeyword, "a red circle\nSteps: 3, Sampler: euler, Size: 16x12");
        png = InsertAfterIhdr(png, Chunk("zTXt", Concat(Encoding.Latin1.GetBytes("Comment\0\0"), Zlib(Encoding.Latin1.GetBytes("made by a test")))));
        return InsertAfterIhdr(png, Chunk("iTXt", Concat(Encoding.Latin1.GetBytes("Title\0\u0001\0en\0\0"), Zlib(Encoding.UTF8.GetBytes("Kätzchen 猫")))));
    }

    public static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, 0, 4, chunk, 4);
        data.CopyTo(chunk, 8);
        FixCrc(chunk, 0);
        return chunk;
    }

    /// <summary>Recomputes the CRC of the chunk starting at <paramref name="at"/> (its length field must be sane).</summary>
    public static void FixCrc(byte[] png, int at)
    {
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(at + 8 + length), Crc32.HashToUInt32(png.AsSpan(at + 4, 4 + length)));
    }

    public static byte[] InsertAfterIhdr(byte[] png, byte[] chunk) => Concat(png[..33], chunk, png[33..]);

    /// <summary>A copy with IHDR's width and height replaced (CRC fixed): the header lies about the size.</summary>
    public static byte[] WithDimensions(byte[] png, uint width, uint height)
    {
        var copy = (byte[])png.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(20), height);
        FixCrc(copy, 8);
        return copy;
    }

    /// <summary>(offset of the chunk's length field, data length) of every chunk, in order, of a well-formed PNG.</summary>
    public static List<(int At, int Length, string Type)> Layout(byte[] png)
    {
        var list = new List<(int, int, string)>();
        for (int at = 8; at + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            list.Add((at, length, Encoding.ASCII.GetString(png, at + 4, 4)));
            at += 12 + length;
        }
        return list;
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.SmallestSize)) z.Write(data);
        return output.ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
