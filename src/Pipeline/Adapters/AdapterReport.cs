namespace Pipeline.Adapters;

/// <summary>
/// Every tensor key of an adapter file with what became of it: applied to which weight (and slice), or unknown /
/// unsupported with a reason. Nothing in the file is dropped silently.
/// </summary>
public sealed record AdapterReport(IReadOnlyList<AdapterKeyReport> Keys)
{
    public IReadOnlyList<AdapterKeyReport> Applied => Keys.Where(k => k.Status == AdapterKeyStatus.Applied).ToList();
    public IReadOnlyList<AdapterKeyReport> Unknown => Keys.Where(k => k.Status == AdapterKeyStatus.Unknown).ToList();
    public IReadOnlyList<AdapterKeyReport> Unsupported => Keys.Where(k => k.Status == AdapterKeyStatus.Unsupported).ToList();

    /// <summary>True when every key was applied.</summary>
    public bool Complete => Keys.All(k => k.Status == AdapterKeyStatus.Applied);

    /// <summary>
    /// One line per problem (unknown and unsupported keys, grouped by reason, with up to three example keys each); empty when
    /// <see cref="Complete"/>. For a user-facing warning.
    /// </summary>
    public IReadOnlyList<string> Warnings() =>
        Keys.Where(k => k.Status != AdapterKeyStatus.Applied)
            .GroupBy(k => (k.Status, k.Reason))
            .Select(g => $"{g.Count()} {g.Key.Status.ToString().ToLowerInvariant()} key{(g.Count() == 1 ? "" : "s")} ({g.Key.Reason}), e.g. {string.Join(", ", g.Take(3).Select(k => $"'{k.Key}'"))}")
            .ToList();

    /// <summary>e.g. <c>1152 of 1155 keys applied to 722 weights; 3 unknown, 0 unsupported</c>.</summary>
    public string Summary()
    {
        var applied = Applied;
        int weights = applied.Where(k => k.Target is not null).Select(k => k.Target!.ToString()).Distinct().Count();
        return $"{applied.Count} of {Keys.Count} keys applied to {weights} weight{(weights == 1 ? "" : "s")}; {Unknown.Count} unknown, {Unsupported.Count} unsupported";
    }
}
