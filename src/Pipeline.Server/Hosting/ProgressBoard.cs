namespace Pipeline.Server.Hosting;

/// <summary>
/// What the generation worker is doing, for <c>/sdapi/v1/progress</c> and <c>/sdapi/v1/interrupt</c>: the running job,
/// its step of the total, the time it started, the latest preview PNG, and the interrupt switch of the running job.
/// </summary>
public sealed class ProgressBoard
{
    readonly object _gate = new();
    State _state = State.Idle;
    CancellationTokenSource? _interrupt;

    public sealed record State(string? Job, DateTimeOffset? Started, int Step, int Total, byte[]? Preview, bool Interrupted, int Queued)
    {
        public static State Idle { get; } = new(null, null, 0, 0, null, false, 0);

        /// <summary>Share done, 0..1.</summary>
        public double Progress => Total > 0 ? Math.Clamp((double)Step / Total, 0, 1) : 0;

        /// <summary>Seconds left, extrapolated from the time per step so far.</summary>
        public double EtaSeconds(DateTimeOffset now) =>
            Started is { } s && Step > 0 && Total > 0 ? (now - s).TotalSeconds / Step * (Total - Step) : 0;
    }

    public State Current { get { lock (_gate) return _state; } }

    /// <summary>A job starts; the token it gets fires on <see cref="Interrupt"/>.</summary>
    public CancellationToken Begin(string job, int total, int queued)
    {
        lock (_gate)
        {
            _interrupt?.Dispose();
            _interrupt = new CancellationTokenSource();
            _state = new State(job, DateTimeOffset.UtcNow, 0, total, null, false, queued);
            return _interrupt.Token;
        }
    }

    public void SetTotal(int total)
    {
        lock (_gate) _state = _state with { Total = total };
    }

    public void Step(int step, byte[]? preview)
    {
        lock (_gate) _state = _state with { Step = step, Preview = preview ?? _state.Preview };
    }

    public void End()
    {
        lock (_gate)
        {
            _interrupt?.Dispose();
            _interrupt = null;
            _state = State.Idle;
        }
    }

    /// <summary>Stops the running job at its next step; false when none runs.</summary>
    public bool Interrupt()
    {
        lock (_gate)
        {
            if (_interrupt is null) return false;
            _state = _state with { Interrupted = true };
            _interrupt.Cancel();
            return true;
        }
    }
}
