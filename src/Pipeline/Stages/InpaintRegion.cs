using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>A rectangle of an image in pixels: top, left, height, width.</summary>
public readonly record struct PixelBox(int Top, int Left, int Height, int Width)
{
    public int Bottom => Top + Height;
    public int Right => Left + Width;
}

/// <summary>
/// A1111's "inpaint only masked": the region around the mask (its bounding box grown by a padding, then widened to the
/// generation size's aspect ratio, inside the image) is cut out, resized to the generation size and inpainted there at
/// full resolution; the result is resized back and pasted into the original through the mask. Pure functions.
/// </summary>
public static class InpaintRegion
{
    /// <summary>
    /// The crop box for a mask [1, 1, H, W] (white = repaint): the bounding box of mask &gt; 0 grown by
    /// <paramref name="padding"/> pixels on each side, then grown along the short side to the aspect ratio of
    /// <paramref name="target"/> where the image allows, clipped to the image. Throws when the mask is all black.
    /// </summary>
    public static PixelBox CropBox(Tensor mask, int padding, Conditioning.ImageSize target)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dim() != 4 || mask.shape[1] != 1) throw new ArgumentException($"a mask is [B, 1, H, W]; got [{string.Join(", ", mask.shape)}]");
        if (padding < 0) throw new ArgumentException($"only-masked padding {padding} must be >= 0");
        int h = (int)mask.shape[2], w = (int)mask.shape[3];
        using var scope = NewDisposeScope();
        var any = mask.gt(0).any(0).any(0);   // [H, W]
        var rows = any.any(1).nonzero();
        var cols = any.any(0).nonzero();
        if (rows.shape[0] == 0) throw new ArgumentException("the mask is all black: there is nothing to inpaint");
        int top = (int)rows.min().item<long>(), bottom = (int)rows.max().item<long>() + 1;
        int left = (int)cols.min().item<long>(), right = (int)cols.max().item<long>() + 1;
        top = Math.Max(0, top - padding); left = Math.Max(0, left - padding);
        bottom = Math.Min(h, bottom + padding); right = Math.Min(w, right + padding);
        // Widen the short side to the target's aspect ratio, centred, shifted back inside the image.
        double ratio = (double)target.Width / target.Height;
        int bh = bottom - top, bw = right - left;
        if (bw < bh * ratio) (left, right) = Grow(left, right, (int)Math.Ceiling(bh * ratio), w);
        else (top, bottom) = Grow(top, bottom, (int)Math.Ceiling(bw / ratio), h);
        return new PixelBox(top, left, bottom - top, right - left);
    }

    static (int Start, int End) Grow(int start, int end, int wanted, int limit)
    {
        wanted = Math.Min(wanted, limit);
        int extra = wanted - (end - start);
        if (extra <= 0) return (start, end);
        start -= extra / 2;
        end += extra - extra / 2;
        if (start < 0) { end -= start; start = 0; }
        if (end > limit) { start -= end - limit; end = limit; }
        return (Math.Max(0, start), Math.Min(limit, end));
    }

    /// <summary><paramref name="images"/> [B, C, H, W] cut to <paramref name="box"/> and resized (bilinear) to <paramref name="size"/>.</summary>
    public static Tensor Cut(Tensor images, PixelBox box, Conditioning.ImageSize size)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        var crop = images[.., .., box.Top..box.Bottom, box.Left..box.Right].to(ScalarType.Float32);
        return nn.functional.interpolate(crop, new long[] { size.Height, size.Width }, mode: InterpolationMode.Bilinear, align_corners: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="result"/> [B, 3, h, w] resized back to <paramref name="box"/> and blended into
    /// <paramref name="original"/> [1 or B, 3, H, W] through <paramref name="pixelMask"/> [1 or B, 1, H, W] (1 = take the
    /// result) inside the box; every pixel outside the box is the original's, bit for bit.
    /// </summary>
    public static Tensor Paste(Tensor original, Tensor result, PixelBox box, Tensor pixelMask)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(pixelMask);
        using var scope = NewDisposeScope();
        var back = nn.functional.interpolate(result.to(ScalarType.Float32), new long[] { box.Height, box.Width }, mode: InterpolationMode.Bilinear, align_corners: false);
        var canvas = original.to(ScalarType.Float32).expand(result.shape[0], -1, -1, -1).clone();
        // Only the box is blended; everything outside it stays the original's bit for bit.
        var region = (.., .., box.Top..box.Bottom, box.Left..box.Right);
        canvas[region.Item1, region.Item2, region.Item3, region.Item4] = InpaintStage.Composite(back,
            original[region.Item1, region.Item2, region.Item3, region.Item4], pixelMask[region.Item1, region.Item2, region.Item3, region.Item4]);
        return canvas.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs <paramref name="plan"/> (its size is the generation size) as "inpaint only masked": the crop box of
    /// <paramref name="mask"/> cut from <paramref name="image01"/> [1, 3, H, W] and resized to the plan's size, inpainted
    /// there, resized back and pasted through the blurred mask. The result's images are at the original size; its
    /// parameters add A1111's <c>Inpaint area: Only masked</c> and <c>Masked area padding</c>.
    /// </summary>
    public static Generation.GenerationResult Run(Generation.GenerationPlan plan, Tensor image01, Generation.InpaintMask mask, int padding,
        double strength, Diffusion.Sampling.SamplingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(image01);
        ArgumentNullException.ThrowIfNull(mask);
        var box = CropBox(mask.Mask, padding, plan.Size);
        using var cutImage = Cut(image01, box, plan.Size);
        using var cutMask = Cut(mask.Mask, box, plan.Size);
        var inner = plan.WithInit(Generation.InitInput.FromImage(cutImage, strength).WithMask(mask with { Mask = cutMask }));
        using var result = options is null ? inner.Run() : inner.Run(options);
        using var pixelMask = InpaintStage.BlurMask(mask.Mask.to(ScalarType.Float32), mask.Blur);
        var pasted = Paste(image01, result.Images, box, pixelMask);
        var parameters = result.Parameters.Select(p => p with
        {
            Width = (int)image01.shape[3], Height = (int)image01.shape[2],
            Extra = new Dictionary<string, string>(p.Extra ?? new Dictionary<string, string>())
            {
                ["Inpaint area"] = "Only masked", ["Masked area padding"] = padding.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        }).ToList();
        return new Generation.GenerationResult(pasted, result.Latents.clone(), parameters, result.PromptTokensDropped, result.NegativeTokensDropped);
    }
}
