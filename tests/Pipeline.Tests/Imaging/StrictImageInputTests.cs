using System.Text;
using Pipeline.Imaging;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Imaging;

/// <summary>Regression tests for issue 11: image inputs are bounded before decoding and damaged data is refused, never half-read.</summary>
public class StrictImageInputTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("strict-png-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Write(byte[] bytes, string name = "input.png")
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void The_real_fixture_reads_whole()
    {
        var path = Write(PngFixtures.Real());
        using var image = PngImage.Read(path);
        Assert.Equal(new long[] { 3, 12, 16 }, image.shape);
        Assert.Equal((16, 12), ImageHeader.Size(path));
    }

    [Fact]
    public void A_20000_by_20000_header_is_refused_before_any_pixel_is_allocated()
    {
        var path = Write(PngFixtures.WithDimensions(PngFixtures.Real(), 20000, 20000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var read = Assert.Throws<InvalidDataException>(() => PngImage.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "refused before allocating the pixels");
        Assert.Contains("20000x20000", read.Message);
        Assert.Contains("64 MP", read.Message);
        Assert.Contains("20000x20000", Assert.Throws<InvalidDataException>(() => ImageHeader.Size(path)).Message);
    }

    [Fact]
    public void A_small_file_claiming_8192_squared_is_refused_before_allocating_the_pixels()
    {
        // Found by the PNG fuzz: within the pixel limit, an 800-byte file made Read allocate 256 MiB before the decoder failed.
        var path = Write(PngFixtures.WithDimensions(PngFixtures.Real(), 8192, 8192));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("holds only", Assert.Throws<InvalidDataException>(() => PngImage.Read(path)).Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20);
    }

    [Fact]
    public void The_pixel_limit_allows_8192_squared_and_refuses_one_row_more()
    {
        Assert.Equal((8192, 8192), ImageHeader.Checked("x.png", 8192, 8192));
        Assert.Throws<InvalidDataException>(() => ImageHeader.Checked("x.png", 8192, 8193));
        Assert.Throws<InvalidDataException>(() => ImageHeader.Checked("x.png", 0, 5));
    }

    [Fact]
    public void Half_a_file_plus_zeros_is_refused_not_read_as_partial_pixels()
    {
        var png = PngFixtures.Real();
        var damaged = png[..(png.Length / 2)].Concat(new byte[png.Length - png.Length / 2]).ToArray();
        Assert.Throws<InvalidDataException>(() => PngImage.Read(Write(damaged)));
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => PngImage.Read(Write(png[..^20]))).Message);
    }

    [Fact]
    public void A_cut_IDAT_with_valid_chunks_is_refused_by_the_decoder()
    {
        // Chunk layout intact (lengths, CRCs, IEND) but the zlib stream ends early: only the decoder can tell.
        var png = PngFixtures.Real();
        var idat = PngFixtures.Layout(png).Single(c => c.Type == "IDAT");
        var data = png.AsSpan(idat.At + 8, idat.Length / 2).ToArray();
        var cut = PngFixtures.Concat(png[..idat.At], PngFixtures.Chunk("IDAT", data), png[(idat.At + 12 + idat.Length)..]);
        var e = Assert.Throws<InvalidDataException>(() => PngImage.Read(Write(cut)));
        Assert.Contains("decoder", e.Message);
    }

    [Theory]
    [InlineData("tEXt")]
    [InlineData("IDAT")]
    [InlineData("IHDR")]
    public void A_bad_CRC_in_any_chunk_is_refused_naming_the_chunk(string type)
    {
        // Decision: libpng (in Skia) may drop a damaged ancillary chunk silently; we refuse every bad CRC, for pixels and for text.
        var png = PngFixtures.Real();
        var chunk = PngFixtures.Layout(png).First(c => c.Type == type);
        png[chunk.At + 8 + chunk.Length] ^= 0x5A;
        var path = Write(png);
        Assert.Contains($"chunk {type}", Assert.Throws<InvalidDataException>(() => PngImage.Read(path)).Message);
        Assert.Contains("bad CRC", Assert.Throws<InvalidDataException>(() => PngImage.ReadParametersText(path)).Message);
    }

    [Fact]
    public void Parameters_are_read_from_zTXt_and_compressed_iTXt()
    {
        var baseline = PngFixtures.Real();
        var text = "a blue square\nNegative prompt: blurry\nSteps: 4, Sampler: euler, CFG scale: 2, Seed: 1, Size: 16x12";
        var z = PngFixtures.InsertAfterIhdr(Strip(baseline), PngFixtures.Chunk("zTXt",
            PngFixtures.Concat(Encoding.Latin1.GetBytes("parameters\0\0"), PngFixtures.Zlib(Encoding.Latin1.GetBytes(text)))));
        Assert.Equal(text, PngImage.ReadParametersText(Write(z, "z.png")));
        var i = PngFixtures.InsertAfterIhdr(Strip(baseline), PngFixtures.Chunk("iTXt",
            PngFixtures.Concat(Encoding.Latin1.GetBytes("parameters\0\u0001\0\0\0"), PngFixtures.Zlib(Encoding.UTF8.GetBytes(text + " 猫")))));
        Assert.Equal(text + " 猫", PngImage.ReadParametersText(Write(i, "i.png")));
        Assert.Equal("Kätzchen 猫", PngTextChunks.Read(baseline)["Title"]);
        Assert.Equal("made by a test", PngTextChunks.Read(baseline)["Comment"]);
    }

    [Fact]
    public void A_zip_bomb_text_chunk_is_refused_without_inflating_it()
    {
        var bomb = PngFixtures.Zlib(new byte[64 << 20]); // 64 MiB of zeros in ~64 KiB
        var png = PngFixtures.InsertAfterIhdr(PngFixtures.Real(), PngFixtures.Chunk("zTXt", PngFixtures.Concat(Encoding.Latin1.GetBytes("parameters\0\0"), bomb)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => PngImage.ReadParametersText(Write(png)));
        Assert.Contains("inflates to more than", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20, "stopped at the cap");
    }

    [Fact]
    public void A_damaged_zlib_stream_is_refused_naming_the_keyword()
    {
        var png = PngFixtures.InsertAfterIhdr(PngFixtures.Real(), PngFixtures.Chunk("zTXt", Encoding.Latin1.GetBytes("parameters\0\0not zlib at all")));
        var e = Assert.Throws<InvalidDataException>(() => PngImage.ReadParametersText(Write(png)));
        Assert.Contains("'parameters' is damaged", e.Message);
    }

    /// <summary>The PNG without its text chunks.</summary>
    static byte[] Strip(byte[] png) => PngFixtures.Concat(new[] { png[..8] }.Concat(PngFixtures.Layout(png)
        .Where(c => c.Type is not ("tEXt" or "zTXt" or "iTXt")).Select(c => png[c.At..(c.At + 12 + c.Length)])).ToArray());
}
