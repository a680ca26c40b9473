using SkiaSharp;
using static TorchSharp.torch;

namespace Pipeline.Imaging;

/// <summary>Encodes images to PNG with their generation parameters, written atomically; reads them back.</summary>
public static class PngImage
{
    public const string ParametersKeyword = "parameters";

    /// <summary>RGB image [3, H, W] in [0, 1] (any device/dtype) → PNG bytes, with parameters if given.</summary>
    public static byte[] Encode(Tensor image01, GenerationParameters? parameters = null)
    {
        if (image01.dim() != 3 || image01.shape[0] != 3)
            throw new ArgumentException($"expected an RGB image [3, H, W], got [{string.Join(", ", image01.shape)}]");
        int h = (int)image01.shape[1], w = (int)image01.shape[2];
        byte[] rgb;
        using (var scope = NewDisposeScope())
        {
            var bytes = (image01.detach().to(ScalarType.Float32).cpu().clamp(0, 1) * 255).round().to(ScalarType.Byte);
            rgb = bytes.permute(1, 2, 0).contiguous().data<byte>().ToArray();
        }
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[w * h * 4];
        for (int p = 0; p < w * h; p++)
        {
            pixels[4 * p] = rgb[3 * p];
            pixels[4 * p + 1] = rgb[3 * p + 1];
            pixels[4 * p + 2] = rgb[3 * p + 2];
            pixels[4 * p + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                         ?? throw new InvalidOperationException("the PNG encoder returned nothing");
        var png = data.ToArray();
        return parameters is null ? png : PngTextChunks.Insert(png, ParametersKeyword, parameters.ToA1111());
    }

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it: never a half-written PNG.</summary>
    public static void WriteAtomically(string path, byte[] png)
    {
        IO.AtomicFile.WriteBytes(path, png);
    }

    /// <summary>The largest image file read (a PNG within <see cref="ImageHeader.MaxPixels"/> is far smaller).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>
    /// Image file → RGB tensor [3, H, W] in [0, 1] (float32, CPU). Strict: the header's size is checked against
    /// <see cref="ImageHeader.MaxPixels"/> before any pixel is allocated; a PNG's chunk lengths and CRCs are verified
    /// and a header must not claim more pixels than its data can hold
    /// (<see cref="PngChunks"/>); and the decoder must report complete success — truncated or corrupt data is refused
    /// with the decoder's error instead of returning partially decoded pixels.
    /// </summary>
    public static Tensor Read(string path)
    {
        var full = IO.InputFile.RequireRegular(path, "image");
        long length = new FileInfo(full).Length;
        if (length > MaxFileBytes)
            throw new InvalidDataException($"{path} is {length / (1 << 20)} MiB; image files larger than {MaxFileBytes / (1 << 20)} MiB are not read");
        return Decode(File.ReadAllBytes(full), path);
    }

    /// <summary>Image bytes (PNG, JPEG, …) → RGB tensor [3, H, W] in [0, 1], with <see cref="Read"/>'s checks;
    /// <paramref name="name"/> names the data in errors.</summary>
    public static Tensor Decode(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var path = name;
        if (bytes.LongLength > MaxFileBytes)
            throw new InvalidDataException($"{name} is {bytes.LongLength / (1 << 20)} MiB; images larger than {MaxFileBytes / (1 << 20)} MiB are not read");
        if (PngChunks.HasSignature(bytes))
        {
            var chunks = PngChunks.Read(bytes, path);
            var (pw, ph) = PngChunks.Dimensions(bytes, chunks);
            ImageHeader.Checked(path, pw, ph);
            PngChunks.CheckDataCanHoldPixels(bytes, chunks, path);
        }
        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out var created)
            ?? throw new InvalidDataException($"{path}: not a readable image ({created})");
        var (w, h) = ImageHeader.Checked(path, codec.Info.Width, codec.Info.Height);
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        var pixels = new byte[(long)w * h * 4];
        var pin = System.Runtime.InteropServices.GCHandle.Alloc(pixels, System.Runtime.InteropServices.GCHandleType.Pinned);
        SKCodecResult result;
        try { result = codec.GetPixels(info, pin.AddrOfPinnedObject()); }
        finally { pin.Free(); }
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{path}: the image data is damaged or truncated (decoder: {result})");
        using var scope = NewDisposeScope();
        var t = tensor(pixels, ScalarType.Byte).reshape(h, w, 4)[.., .., ..3].permute(2, 0, 1);
        return (t.to(ScalarType.Float32) / 255.0).MoveToOuterDisposeScope();
    }

    /// <summary>The generation parameters stored in a PNG, or null when it has none.</summary>
    public static GenerationParameters? ReadParameters(string path)
    {
        var text = ReadParametersText(path);
        return text is null ? null : GenerationParameters.Parse(text);
    }

    public static string? ReadParametersText(string path)
    {
        var full = IO.InputFile.RequireRegular(path, "PNG");
        long length = new FileInfo(full).Length;
        if (length > MaxParametersFileBytes)
            throw new InvalidDataException($"{path} is {length / (1 << 20)} MiB; PNGs larger than {MaxParametersFileBytes / (1 << 20)} MiB are not read for their parameters");
        return PngTextChunks.Read(File.ReadAllBytes(full), path).GetValueOrDefault(ParametersKeyword);
    }

    /// <summary>The largest PNG whose parameters are read (an SDXL image is a few MiB).</summary>
    public const long MaxParametersFileBytes = 256L << 20;
}
