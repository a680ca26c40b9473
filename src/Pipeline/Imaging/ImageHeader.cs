using SkiaSharp;

namespace Pipeline.Imaging;

/// <summary>An image file's size, read from its header without decoding the pixels (for checks before heavy work).</summary>
public static class ImageHeader
{
    /// <summary>(width, height) of a PNG/JPEG/WebP/… file; fails with the path when it is not an image.</summary>
    public static (int Width, int Height) Size(string path)
    {
        using var stream = File.OpenRead(IO.InputFile.RequireRegular(path, "image"));
        using var codec = SKCodec.Create(stream) ?? throw new InvalidDataException($"{path} is not an image this build can read (PNG, JPEG, WebP, BMP, GIF)");
        return (codec.Info.Width, codec.Info.Height);
    }
}
