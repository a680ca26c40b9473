using Pipeline.Conditioning;

namespace Pipeline.Training.World;

/// <summary>Draws random scenes (labels, original size, crop, object size and position) from settings.</summary>
public static class WorldScenes
{
    /// <summary>A random scene in <paramref name="bucket"/>, fully determined by (settings, seed, index); with
    /// <paramref name="labels"/> given (evaluation prompts) only the geometry is random.</summary>
    public static WorldScene Draw(ShapeWorldSettings settings, ImageSize bucket, long seed, long index, WorldLabels? labels = null)
    {
        settings.Validated();
        var rng = WorldRandom.For(seed, index, 0x5CE7E);
        var drawn = DrawLabels(ref rng);
        labels ??= drawn;

        int canvasH = bucket.Height, canvasW = bucket.Width, top = 0, left = 0;
        bool crop = rng.NextDouble() < settings.CropProbability;
        double scale = rng.Uniform(1, settings.MaxCanvasScale);
        if (crop)
        {
            canvasH = Math.Max(bucket.Height, (int)Math.Round(bucket.Height * scale));
            canvasW = Math.Max(bucket.Width, (int)Math.Round(bucket.Width * scale));
            top = rng.NextInclusive(0, canvasH - bucket.Height);
            left = rng.NextInclusive(0, canvasW - bucket.Width);
        }

        double longSide = Math.Exp(rng.Uniform(Math.Log(settings.MinOriginalSide), Math.Log(settings.MaxOriginalSide + 1)));
        int side = Math.Clamp((int)Math.Floor(longSide), settings.MinOriginalSide, settings.MaxOriginalSide);
        var original = canvasH >= canvasW
            ? new ImageSize(side, Math.Max(1, (int)Math.Round(side * (double)canvasW / canvasH)))
            : new ImageSize(Math.Max(1, (int)Math.Round(side * (double)canvasH / canvasW)), side);

        // The object is sized by the canvas's mean side and lies inside the canvas with a margin of at least
        // BorderMargin pixels and at least 1 canvas pixel plus the blur of one original pixel, shrunk (never below the
        // smallest object) where the short side has no room for it: only the crop can cut it.
        double shortSide = Math.Min(canvasH, canvasW);
        double wanted = Math.Max(settings.BorderMargin, 1 + (double)Math.Max(canvasH, canvasW) / side);
        double size = Math.Min(rng.Uniform(settings.MinObjectFraction, settings.MaxObjectFraction) * Math.Sqrt((double)canvasH * canvasW),
            Math.Max(settings.MinObjectFraction * shortSide, shortSide - 2 * wanted));
        double margin = Math.Min(wanted, (shortSide - size) / 2);
        double cy = rng.Uniform(margin + size / 2, canvasH - margin - size / 2);
        double cx = rng.Uniform(margin + size / 2, canvasW - margin - size / 2);
        return new WorldScene(labels, original, new ImageSize(canvasH, canvasW), new CropCoords(top, left), bucket, cy, cx, size).Validated();
    }

    private static WorldLabels DrawLabels(ref WorldRandom rng)
    {
        var colors = ShapeWorld.Colors;
        int c = rng.Next(colors.Count);
        int b = (c + 1 + rng.Next(colors.Count - 1)) % colors.Count;
        return new WorldLabels(colors[c], ShapeWorld.Shapes[rng.Next(ShapeWorld.Shapes.Count)], colors[b]);
    }
}
