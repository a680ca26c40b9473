namespace Pipeline.Stages;

/// <summary>The conditional and unconditional conditioning of one batch (row i of each is sample i). Owns its tensors.</summary>
public sealed record ConditioningPair(Conditioning.Conditioning Cond, Conditioning.Conditioning Uncond) : IDisposable
{
    /// <summary>Number of rows.</summary>
    public long BatchSize => Cond.BatchSize;

    public void Dispose()
    {
        foreach (var c in new[] { Cond, Uncond })
        {
            c.CrossAttn?.Dispose();
            c.Vector?.Dispose();
            c.Concat?.Dispose();
        }
    }
}
