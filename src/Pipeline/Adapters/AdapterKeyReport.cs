namespace Pipeline.Adapters;

/// <summary>What became of one tensor of an adapter file.</summary>
public enum AdapterKeyStatus
{
    /// <summary>Read into a delta (a factor or the alpha of a mapped module).</summary>
    Applied,
    /// <summary>Not a name this library recognises, or a module the model does not have.</summary>
    Unknown,
    /// <summary>Recognised, but its format is not supported (DoRA, IA3, OFT, …); not applied.</summary>
    Unsupported,
}

/// <summary>One tensor of an adapter file: its key, status, and the target it feeds or the reason it does not.</summary>
/// <param name="Target">For <see cref="AdapterKeyStatus.Applied"/>: the parameter (and row slice) it changes.</param>
/// <param name="Reason">For the other statuses: why.</param>
public sealed record AdapterKeyReport(string Key, AdapterKeyStatus Status, AdapterTarget? Target, string? Reason)
{
    public override string ToString() => Status == AdapterKeyStatus.Applied ? $"{Key} → {Target}" : $"{Key}: {Status.ToString().ToLowerInvariant()} ({Reason})";
}
