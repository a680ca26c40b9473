using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Fills a <see cref="LatentCache"/> ahead of the training loop on a thread of its own: batches
/// <c>[from, to)</c> of the data in order, rendered and encoded exactly as the loop would (the same batches, the same
/// encoder call, libtorch at the calling thread's thread count), until the cache is full. The loop then finds their
/// moments held, or waits for the batch being encoded, so training gives the same bytes as without it. It pays where a
/// core would otherwise idle (<c>sdxl train</c>'s base lane, once the second lane's work runs out); beside a busy core it
/// only moves work. <see cref="Dispose"/> stops it after the batch in hand; a failure is kept and rethrown by
/// <see cref="ThrowIfFailed"/> on the training thread. With a <c>start</c> task it waits for that task to end first (e.g.
/// another process's work that holds the second core), so it never competes with that work for a core.
/// </summary>
public sealed class LatentPrefetcher : IDisposable
{
    readonly Thread _thread;
    readonly CancellationTokenSource _stop = new();
    Exception? _error;

    /// <param name="flushDenormals">the thread's denormal mode (<see cref="Runtime.NativeSwitches.FlushDenormal"/>): the
    /// training thread's, so that a batch encodes to the same bytes whichever thread encodes it</param>
    public LatentPrefetcher(ITrainingData data, LatentCache cache, Func<Tensor, Tensor> encodeMoments, long from, long to, Task? start = null,
        bool flushDenormals = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(encodeMoments);
        if (from < 0 || to < from) throw new ArgumentOutOfRangeException(nameof(to), $"batch range [{from}, {to}) is empty or negative");
        int threads = get_num_threads();
        _thread = new Thread(() => Run(data, cache, encodeMoments, from, to, threads, start, flushDenormals, _stop.Token))
        {
            IsBackground = true, Name = "latent prefetch",
        };
        _thread.Start();
    }

    /// <summary>Batches encoded (or found already held) so far.</summary>
    public long Done => Interlocked.Read(ref _done);
    long _done;

    void Run(ITrainingData data, LatentCache cache, Func<Tensor, Tensor> encodeMoments, long from, long to, int threads, Task? start, bool flushDenormals,
        CancellationToken stop)
    {
        try
        {
            if (flushDenormals && !Runtime.NativeSwitches.FlushDenormal(true))
                throw new PlatformNotSupportedException("this CPU or libtorch build cannot flush denormals");
            // A start task that failed frees its core as well: only a stop ends the wait without prefetching.
            if (start is not null && WaitHandle.WaitAny(new[] { ((IAsyncResult)start).AsyncWaitHandle, stop.WaitHandle }) == 1) return;
            // OpenMP's thread count is per calling thread: a new thread starts at OMP_NUM_THREADS, not at the loop's.
            set_num_threads(threads);
            using var noGrad = no_grad();
            for (long i = from; i < to && !stop.IsCancellationRequested; i++)
            {
                using var scope = NewDisposeScope();
                using var batch = data.Batch(i);
                if (!cache.Warm(batch, encodeMoments)) break;
                Interlocked.Increment(ref _done);
            }
        }
        catch (Exception e) { Volatile.Write(ref _error, e); }
    }

    /// <summary>Rethrows (on the calling thread) the exception that stopped the prefetching thread, if one did.</summary>
    public void ThrowIfFailed()
    {
        if (Volatile.Read(ref _error) is { } e) ExceptionDispatchInfo.Capture(e).Throw();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
