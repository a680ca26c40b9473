using Pipeline.Conditioning;

namespace Pipeline.Training.World;

/// <summary>
/// Everything that determines one image, as SDXL's data pipeline sees it: an original image of
/// <see cref="Original"/> pixels is resized to the <see cref="Canvas"/> (in target pixels, ≥ the target), and the
/// <see cref="Target"/> window is cropped at <see cref="Crop"/> (top, left). The object's bounding box is the square of
/// side <see cref="Size"/> centred at (<see cref="CenterY"/>, <see cref="CenterX"/>) in canvas pixels; a circle's
/// diameter, a square's side and a triangle's base and height all equal <see cref="Size"/>.
/// </summary>
public sealed record WorldScene(
    WorldLabels Labels,
    ImageSize Original,
    ImageSize Canvas,
    CropCoords Crop,
    ImageSize Target,
    double CenterY,
    double CenterX,
    double Size)
{
    public string Caption => Labels.Caption;

    /// <summary>The object's extent in target (cropped) pixels.</summary>
    public double ObjectTop => CenterY - Size / 2 - Crop.Top;
    public double ObjectLeft => CenterX - Size / 2 - Crop.Left;
    public double ObjectBottom => CenterY + Size / 2 - Crop.Top;
    public double ObjectRight => CenterX + Size / 2 - Crop.Left;

    /// <summary>Whether the object extends past each border of the cropped image (ground truth for the detector).</summary>
    public bool CutTop => ObjectTop < 0;
    public bool CutLeft => ObjectLeft < 0;
    public bool CutBottom => ObjectBottom > Target.Height;
    public bool CutRight => ObjectRight > Target.Width;
    public bool CutByBorder => CutTop || CutLeft || CutBottom || CutRight;

    /// <summary>The quality score (the refiner's stand-in for the aesthetic score) of this scene's original size.</summary>
    public double QualityScore => QualityScoreOf(Original);

    /// <summary>1 + 2·log2(long side / 16): 16 px → 1, 32 → 3, 64 → 5, 128 → 7 (sgm's default prompt score 6 ≈ 90 px).</summary>
    public static double QualityScoreOf(ImageSize original) => 1 + 2 * Math.Log2(Math.Max(original.Height, original.Width) / 16.0);

    /// <summary>
    /// The identity of this scene's pixels: the first 128 bits of a SHA-256 of every field the renderer reads (labels with
    /// their sRGB bytes, original, canvas, crop, target, the object's centre and size to the last bit). Two scenes with the
    /// same key render the same image (<see cref="TrainingBatch.ImageKeys"/>).
    /// </summary>
    public UInt128 ImageKey
    {
        get
        {
            static string C(WorldColor c) => $"{c.Name}:{c.R},{c.G},{c.B}";
            var text = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"scene|{C(Labels.Color)}|{Labels.Shape}|{C(Labels.Background)}|{Original.Height}x{Original.Width}|{Canvas.Height}x{Canvas.Width}|{Crop.Top},{Crop.Left}|{Target.Height}x{Target.Width}|{BitConverter.DoubleToInt64Bits(CenterY)}|{BitConverter.DoubleToInt64Bits(CenterX)}|{BitConverter.DoubleToInt64Bits(Size)}");
            Span<byte> digest = stackalloc byte[32];
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text), digest);
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(digest);
        }
    }

    /// <summary>Problems with this scene (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Labels.Color == Labels.Background) p.Add($"object and background must differ (both {Labels.Color.Name})");
        if (Original.Height < 1 || Original.Width < 1) p.Add($"original size {Original} must be positive");
        if (Target.Height < 1 || Target.Width < 1) p.Add($"target size {Target} must be positive");
        if (Canvas.Height < Target.Height || Canvas.Width < Target.Width) p.Add($"canvas {Canvas} must contain the target {Target}");
        if (Crop.Top < 0 || Crop.Left < 0 || Crop.Top + Target.Height > Canvas.Height || Crop.Left + Target.Width > Canvas.Width)
            p.Add($"crop {Crop} of {Target} must lie inside the canvas {Canvas}");
        if (!(Size > 0) || !double.IsFinite(CenterY) || !double.IsFinite(CenterX)) p.Add($"object size {Size} must be positive and its centre finite");
        return p;
    }

    internal WorldScene Validated()
    {
        var p = Problems();
        return p.Count == 0 ? this : throw new ArgumentException("invalid scene: " + string.Join("; ", p));
    }
}
