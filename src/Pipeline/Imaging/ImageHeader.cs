using SkiaSharp;

namespace Pipeline.Imaging;

/// <summary>An image file's size, read from its header without decoding the pixels (for checks before heavy work).</summary>
public static class ImageHeader
{
    /// <summary>
    /// The largest input image, in pixels (8192 × 8192 = 64 MP, 256 MiB as RGBA bytes and 768 MiB as a float tensor):
    /// far above SDXL's sizes, and a 1 MB PNG that claims 20000 × 20000 is refused before a pixel is allocated.
    /// </summary>
    public const long MaxPixels = 8192L * 8192;

    /// <summary>(width, height) of a PNG/JPEG/WebP/… file; fails with the path when it is not an image or exceeds <see cref="MaxPixels"/>.</summary>
    public static (int Width, int Height) Size(string path)
    {
        using var stream = File.OpenRead(IO.InputFile.RequireRegular(path, "image"));
        using var codec = SKCodec.Create(stream, out var result)
            ?? throw new InvalidDataException($"{path} is not an image this build can read (PNG, JPEG, WebP, BMP, GIF): {result}");
        return Checked(path, codec.Info.Width, codec.Info.Height);
    }

    /// <summary>The size if it is within <see cref="MaxPixels"/>; otherwise <see cref="InvalidDataException"/> with the size and the limit.</summary>
    public static (int Width, int Height) Checked(string path, long width, long height)
    {
        if (width < 1 || height < 1) throw new InvalidDataException($"{path}: the image header says {width}x{height}");
        if (width * height > MaxPixels)
            throw new InvalidDataException($"{path}: the image is {width}x{height} ({width * height / 1048576.0:F0} MP); input images are limited to {MaxPixels >> 20} MP (e.g. 8192x8192) — scale it down first");
        return ((int)width, (int)height);
    }
}
