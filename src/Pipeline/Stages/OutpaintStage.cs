using System.Globalization;
using Pipeline.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>Pixels added on each side of an image for outpainting; each a multiple of 8 (the latent grid), at least one positive.</summary>
public sealed record OutpaintPadding(int Left, int Right, int Top, int Bottom)
{
    /// <summary>The largest padding per side (pixels).</summary>
    public const int MaxSide = 2048;

    /// <summary>Every problem (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        foreach (var (name, v) in new[] { ("left", Left), ("right", Right), ("top", Top), ("bottom", Bottom) })
            if (v < 0 || v > MaxSide || v % 8 != 0) p.Add($"outpaint {name} {v} must be a multiple of 8 in 0..{MaxSide}");
        if (Left == 0 && Right == 0 && Top == 0 && Bottom == 0) p.Add("outpaint padding is 0 on every side");
        return p;
    }

    /// <summary>"left,right,top,bottom" in pixels, e.g. <c>0,32,0,0</c>.</summary>
    public static OutpaintPadding Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4 || parts.Any(x => !int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            throw new ArgumentException($"outpaint padding '{text}' must be four whole numbers: left,right,top,bottom (pixels, multiples of 8)");
        var v = parts.Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var padding = new OutpaintPadding(v[0], v[1], v[2], v[3]);
        var problems = padding.Problems();
        return problems.Count == 0 ? padding : throw new ArgumentException(string.Join("; ", problems));
    }

    public override string ToString() => $"{Left},{Right},{Top},{Bottom}";
}

/// <summary>The canvas and mask of an outpainting plan; owns both (the plan does not).</summary>
public sealed record OutpaintInput(InitInput Init, Tensor Canvas, Tensor Mask) : IDisposable
{
    public void Dispose()
    {
        Canvas.Dispose();
        Mask.Dispose();
    }
}

/// <summary>
/// Outpainting as inpainting on a larger canvas: the image padded per side, the new area filled by extending the edge
/// pixels plus a little seeded noise (so the sampler has colour to start from and texture to break up the stripes),
/// masked white (repaint) while the original stays black (keep); the mask blur lets the new area blend a few pixels into
/// the old one and the composite keeps every original pixel outside that band exactly.
/// </summary>
public static class OutpaintStage
{
    /// <summary>Standard deviation of the noise added to the extended edges (image values in [0, 1]).</summary>
    public const double FillNoise = 0.05;

    /// <summary>The padded canvas [B, 3, H + top + bottom, W + left + right] in [0, 1].</summary>
    public static Tensor Canvas(Tensor image01, OutpaintPadding padding, long seed)
    {
        ArgumentNullException.ThrowIfNull(image01);
        ArgumentNullException.ThrowIfNull(padding);
        if (padding.Problems() is { Count: > 0 } p) throw new ArgumentException(string.Join("; ", p));
        if (image01.dim() != 4 || image01.shape[1] != 3) throw new ArgumentException($"outpainting takes images [B, 3, H, W]; got [{string.Join(", ", image01.shape)}]");
        using var scope = NewDisposeScope();
        var image = image01.to(ScalarType.Float32);
        var extended = nn.functional.pad(image, new long[] { padding.Left, padding.Right, padding.Top, padding.Bottom }, PaddingModes.Replicate);
        using var generator = new Generator((ulong)seed, image.device);
        var noise = randn(extended.shape, generator: generator, device: image.device) * FillNoise;
        var mask = Mask(image, padding);
        return (extended + noise * mask).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>The outpainting mask [1, 1, H', W']: 1 on the added border, 0 over the original image.</summary>
    public static Tensor Mask(Tensor image01, OutpaintPadding padding)
    {
        ArgumentNullException.ThrowIfNull(image01);
        long h = image01.shape[2], w = image01.shape[3];
        var mask = ones(1, 1, h + padding.Top + padding.Bottom, w + padding.Left + padding.Right, device: image01.device);
        mask[.., .., (int)padding.Top..(int)(padding.Top + h), (int)padding.Left..(int)(padding.Left + w)] = 0;
        return mask;
    }

    /// <summary>The init input of an outpainting plan (canvas + mask) at <paramref name="strength"/>; dispose it after the run.</summary>
    public static OutpaintInput Prepare(Tensor image01, OutpaintPadding padding, double strength, int maskBlur, long seed)
    {
        var canvas = Canvas(image01, padding, seed);
        var mask = Mask(image01, padding);
        return new OutpaintInput(InitInput.FromImage(canvas, strength).WithMask(new InpaintMask(mask, maskBlur)), canvas, mask);
    }
}
