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
}
