namespace Pipeline.Generation;

/// <summary>
/// The registry names the plan's sampler and schedule were resolved from, if any: labels for printing and for the
/// image metadata (A1111's "Sampler" and "Schedule type"). The plan runs its objects, never these names.
/// </summary>
public sealed record ComponentNames(string? Sampler = null, string? Schedule = null)
{
    public static ComponentNames None { get; } = new();
}
