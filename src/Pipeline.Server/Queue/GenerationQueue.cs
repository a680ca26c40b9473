using System.Threading.Channels;

namespace Pipeline.Server.Queue;

/// <summary>
/// A bounded first-in-first-out queue with one worker thread: the model does one thing at a time (on a CPU, running two
/// generations at once only slows both). <see cref="TryEnqueue{T}"/> refuses when <see cref="Capacity"/> requests wait
/// or run; a job whose token is cancelled while it waits leaves the queue at once and never starts; one cancelled while it
/// runs stops at its next step (the work checks the token) and is answered then. Jobs run in order of arrival.
/// </summary>
public sealed class GenerationQueue : IDisposable
{
    readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    readonly Thread _worker;
    readonly object _gate = new();
    int _count;
    double _averageSeconds = 5;
    bool _disposed;

    public GenerationQueue(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the queue holds at least one job");
        Capacity = capacity;
        _worker = new Thread(Work) { IsBackground = true, Name = "sdxl-generation" };
        _worker.Start();
    }

    public int Capacity { get; }

    /// <summary>Jobs waiting or running now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>How long a client should wait before trying again: the queue's length times the recent mean job time.</summary>
    public TimeSpan RetryAfter
    {
        get { lock (_gate) return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(_averageSeconds * Math.Max(1, _count)), 1, 3600)); }
    }

    /// <summary>Queues <paramref name="work"/>; false (and no task) when the queue is full or closed.</summary>
    public bool TryEnqueue<T>(Func<CancellationToken, T> work, CancellationToken cancel, out Task<T> result)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_disposed || _count >= Capacity) { result = Task.FromCanceled<T>(new CancellationToken(true)); return false; }
            _count++;
        }
        // A job cancelled while it waits leaves the queue at once; one that runs is answered only when its work has
        // stopped (at its next step), so nothing the caller owns is released under a running job.
        int state = Waiting;
        var registration = cancel.Register(() =>
        {
            if (Interlocked.CompareExchange(ref state, Cancelled, Waiting) != Waiting) return;
            lock (_gate) _count--;
            completion.TrySetCanceled(cancel);
        });
        var job = new Job(cancel, () =>
        {
            try
            {
                if (Interlocked.CompareExchange(ref state, Running, Waiting) != Waiting) return false;
                try { completion.TrySetResult(work(cancel)); }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested) { completion.TrySetCanceled(cancel); }
                catch (Exception e) { completion.TrySetException(e); }
                return true;
            }
            finally { registration.Dispose(); }
        });
        if (!_jobs.Writer.TryWrite(job))
        {
            registration.Dispose();
            lock (_gate) if (Interlocked.Exchange(ref state, Cancelled) == Waiting) _count--;
            result = Task.FromCanceled<T>(new CancellationToken(true));
            return false;
        }
        result = completion.Task;
        return true;
    }

    /// <summary>Queues <paramref name="work"/> and awaits it; <see cref="QueueFullException"/> when the queue is full.</summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, T> work, CancellationToken cancel) =>
        TryEnqueue(work, cancel, out var task) ? task : throw new QueueFullException(Capacity, RetryAfter);

    void Work()
    {
        while (_jobs.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            while (_jobs.Reader.TryRead(out var job))
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                bool ran = false;
                try { ran = job.Run(); }
                finally
                {
                    if (ran)
                        lock (_gate)
                        {
                            _count--;
                            if (!job.Cancel.IsCancellationRequested) _averageSeconds = 0.7 * _averageSeconds + 0.3 * clock.Elapsed.TotalSeconds;
                        }
                }
            }
    }

    /// <summary>Stops taking jobs; queued ones still run (their requests are answered), then the worker ends.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _jobs.Writer.TryComplete();
        _worker.Join(TimeSpan.FromMinutes(1));
    }

    const int Waiting = 0, Running = 1, Cancelled = 2;

    /// <summary>A queued piece of work; <see cref="Run"/> returns false when it was cancelled before it started.</summary>
    sealed record Job(CancellationToken Cancel, Func<bool> Run);
}
