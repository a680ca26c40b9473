namespace Pipeline.Server.Queue;

/// <summary>The queue holds <see cref="Capacity"/> requests already: answered 429 with Retry-After.</summary>
public sealed class QueueFullException(int capacity, TimeSpan retryAfter)
    : Exception($"the server is busy: {capacity} requests are waiting or running; try again in {Math.Ceiling(retryAfter.TotalSeconds)} s")
{
    public int Capacity { get; } = capacity;
    public TimeSpan RetryAfter { get; } = retryAfter;
}
