using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Tests.Imaging;

/// <summary>Damage to a real PNG, picked by a seed: truncations, flipped bytes, bad CRCs, lying IHDRs, bad lengths, hostile text chunks.</summary>
public static class PngMutation
{
    public static readonly string[] Kinds = { "truncate", "truncate+zeros", "flip", "flip-crc-fixed", "bad-crc", "ihdr-size", "ihdr-fields", "chunk-length", "text-chunk" };

    public static (string Kind, byte[] Bytes) Apply(int seed, byte[] valid)
    {
        var rng = new Random(seed);
        var kind = Kinds[rng.Next(Kinds.Length)];
        var png = (byte[])valid.Clone();
        var layout = PngFixtures.Layout(valid);
        var chunk = layout[rng.Next(layout.Count)];
        switch (kind)
        {
            case "truncate":
                return (kind, png[..rng.Next(png.Length)]);
            case "truncate+zeros":
                int cut = rng.Next(png.Length);
                return (kind, png[..cut].Concat(new byte[png.Length - cut]).ToArray());
            case "flip":
                for (int i = rng.Next(1, 5); i > 0; i--) png[rng.Next(png.Length)] ^= (byte)rng.Next(1, 256);
                return (kind, png);
            case "flip-crc-fixed":
                if (chunk.Length == 0) return (kind, png);
                for (int i = rng.Next(1, 5); i > 0; i--) png[chunk.At + 8 + rng.Next(chunk.Length)] ^= (byte)rng.Next(1, 256);
                PngFixtures.FixCrc(png, chunk.At);
                return (kind, png);
            case "bad-crc":
                png[chunk.At + 8 + chunk.Length + rng.Next(4)] ^= (byte)rng.Next(1, 256);
                return (kind, png);
            case "ihdr-size":
                uint[] sizes = { 0, 1, 15, 16, 17, 8192, 8193, 20000, 65535, 1 << 20, int.MaxValue, uint.MaxValue, (uint)rng.Next() };
                return (kind, PngFixtures.WithDimensions(png, sizes[rng.Next(sizes.Length)], sizes[rng.Next(sizes.Length)]));
            case "ihdr-fields":
                png[24 + rng.Next(5)] = (byte)(rng.Next(3) == 0 ? rng.Next(256) : new[] { 0, 1, 2, 3, 4, 6, 8, 16 }[rng.Next(8)]);
                PngFixtures.FixCrc(png, 8);
                return (kind, png);
            case "chunk-length":
                uint[] lengths = { 0, 1, (uint)chunk.Length - 1, (uint)chunk.Length + 1, (uint)png.Length, int.MaxValue, 0x80000000, uint.MaxValue, (uint)rng.Next() };
                BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(chunk.At), lengths[rng.Next(lengths.Length)]);
                return (kind, png);
            default: // text-chunk: a hostile tEXt/zTXt/iTXt with a valid CRC
                var type = new[] { "tEXt", "zTXt", "iTXt" }[rng.Next(3)];
                var keyword = rng.Next(4) == 0 ? "" : "parameters";
                byte[] body = rng.Next(3) switch
                {
                    0 => RandomBytes(rng, rng.Next(0, 64)),
                    1 => PngFixtures.Zlib(new byte[rng.Next(4) == 0 ? 4 << 20 : rng.Next(0, 4096)]),
                    _ => PngFixtures.Zlib(RandomBytes(rng, rng.Next(0, 256)))[..^rng.Next(0, 4)],
                };
                byte[] header = type switch
                {
                    "zTXt" => Encoding.Latin1.GetBytes(keyword + "\0").Append((byte)rng.Next(2)).ToArray(),
                    "iTXt" => Encoding.Latin1.GetBytes(keyword + "\0").Concat(new[] { (byte)rng.Next(3), (byte)rng.Next(2) })
                        .Concat(rng.Next(4) == 0 ? Array.Empty<byte>() : Encoding.Latin1.GetBytes("en\0\0")).ToArray(),
                    _ => Encoding.Latin1.GetBytes(keyword + (rng.Next(4) == 0 ? "" : "\0")),
                };
                return (kind + ":" + type, PngFixtures.InsertAfterIhdr(png, PngFixtures.Chunk(type, PngFixtures.Concat(header, body))));
        }
    }

    static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
