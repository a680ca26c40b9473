namespace Pipeline.Adapters;

/// <summary>The adapter part of A1111's image parameters.</summary>
public static class AdapterInfotext
{
    /// <summary>
    /// The value of A1111's <c>Lora hashes</c> parameter: <c>name: shorthash</c> per adapter, joined by <c>", "</c>, with
    /// <c>:</c> and <c>,</c> removed from the names (as A1111 does); null when there are none. The infotext writer quotes it.
    /// </summary>
    public static string? LoraHashes(IEnumerable<AdapterUse> uses)
    {
        ArgumentNullException.ThrowIfNull(uses);
        var items = uses.Select(u => u.Adapter).DistinctBy(a => a.Name)
            .Select(a => $"{a.Name.Replace(":", "").Replace(",", "")}: {a.Hashes.Short}").ToList();
        return items.Count == 0 ? null : string.Join(", ", items);
    }

    /// <summary>"name: 0.8, other: te 1 unet 0.5": each use's strength (both parts when they differ).</summary>
    public static string Strengths(IEnumerable<AdapterUse> uses) =>
        string.Join(", ", uses.Select(a => a.UnetStrength == a.TextEncoderStrength
            ? $"{a.Adapter.Name}: {a.UnetStrength.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : $"{a.Adapter.Name}: te {a.TextEncoderStrength.ToString(System.Globalization.CultureInfo.InvariantCulture)} unet {a.UnetStrength.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
}
