namespace Pipeline.Diffusion.Sampling;

/// <summary>Progress callback and cancellation for a sampling run.</summary>
/// <param name="OnStep">Called after every step, or null.</param>
/// <param name="Cancellation">Checked between steps; a cancelled run throws <see cref="OperationCanceledException"/>.</param>
public sealed record SamplingOptions(Action<SamplerStep>? OnStep = null, CancellationToken Cancellation = default)
{
    /// <summary>No callback, no cancellation.</summary>
    public static SamplingOptions None { get; } = new();
}
