namespace Pipeline.Conditioning;

/// <summary>sgm's batch keys (embedder <c>input_key</c>s) for SDXL, and how many scalars each holds per row.</summary>
public static class EmbedderKeys
{
    /// <summary>Prompt text (here: its token ids); both text embedders read it, so forcing it to zero zeroes both.</summary>
    public const string Text = "txt";
    public const string OriginalSize = "original_size_as_tuple";
    public const string CropCoordsTopLeft = "crop_coords_top_left";
    public const string TargetSize = "target_size_as_tuple";
    public const string AestheticScore = "aesthetic_score";

    /// <summary>The scalar-valued keys <see cref="ConcatTimestepEmbedderND"/> can embed, with their scalar counts.</summary>
    public static IReadOnlyDictionary<string, int> ScalarKeys { get; } = new Dictionary<string, int>
    {
        [OriginalSize] = 2, [CropCoordsTopLeft] = 2, [TargetSize] = 2, [AestheticScore] = 1,
    };

    /// <summary>Row values of a scalar key: sizes as (height, width), crop as (top, left).</summary>
    public static float[] Scalars(ConditionerInput row, string key) => key switch
    {
        OriginalSize => new float[] { row.OriginalSize.Height, row.OriginalSize.Width },
        CropCoordsTopLeft => new float[] { row.CropTopLeft.Top, row.CropTopLeft.Left },
        TargetSize => new float[] { row.TargetSize.Height, row.TargetSize.Width },
        AestheticScore => new[] { (float)row.AestheticScore },
        _ => throw new ArgumentException($"'{key}' is not a scalar conditioning key; valid: {string.Join(", ", ScalarKeys.Keys)}"),
    };
}
