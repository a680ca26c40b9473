using System.Runtime;

namespace Pipeline.Runtime;

/// <summary>
/// Long stretches of work without garbage collections: a training stage, a sampling run. TorchSharp 0.107 turns every
/// implicit number argument (the <c>alpha</c> of <c>a + b</c>, <c>add(t)</c>, <c>sub_(t)</c>, …) into a temporary
/// <c>Scalar</c> whose finalizer frees the native value, and nothing keeps that object alive once its handle is read: a
/// collection started by another thread while the native call is in flight lets the finalizer free the value under
/// libtorch. That is the "libtorch failed in a step" of long trainings (garbage messages from <c>THSTensor_add</c>,
/// <c>c10::Scalar::toFloat</c>; three times in six minutes of one <c>sdxl train</c>).
/// <para>Inside a <see cref="Scope"/> the runtime collects nothing until <see cref="DefaultBudgetBytes"/> have been
/// allocated; the work calls <see cref="Ensure"/> at each step (or network evaluation), which starts a new region when the
/// budget ran out (the runtime collected then, at an allocation, not inside a native call of the allocating thread).
/// Starting a region costs one full collection (about 1 ms on a small heap), once per budget rather than once per step.
/// Scopes nest and may overlap across threads (counted: the region ends when the last scope does). Where the runtime
/// cannot start a region nothing changes.</para>
/// </summary>
public static class GcPause
{
    /// <summary>Managed memory allocated between two collections inside a scope.</summary>
    public const long DefaultBudgetBytes = 512L << 20;

    static readonly object Gate = new();
    static int _depth;
    static long _budget = DefaultBudgetBytes;

    /// <summary>Whether a region without collections is in effect now.</summary>
    public static bool Active => GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;

    /// <summary>Starts (or joins) a stretch without collections; dispose to end it.</summary>
    public static IDisposable Scope(long budgetBytes = DefaultBudgetBytes)
    {
        if (budgetBytes < 1 << 20) throw new ArgumentOutOfRangeException(nameof(budgetBytes), $"the budget must be at least 1 MiB, got {budgetBytes}");
        lock (Gate)
        {
            if (_depth++ == 0) _budget = budgetBytes;
            StartIfNeeded();
            return new Hold();
        }
    }

    /// <summary>Inside a scope: starts a new region when the last one's budget ran out. Outside any scope: nothing.</summary>
    public static void Ensure()
    {
        if (Volatile.Read(ref _depth) == 0 || Active) return;
        lock (Gate) StartIfNeeded();
    }

    static void StartIfNeeded()
    {
        if (_depth == 0 || Active) return;
        try { _ = GC.TryStartNoGCRegion(_budget); }
        catch (ArgumentOutOfRangeException) { }
        catch (InvalidOperationException) { }
    }

    static void End()
    {
        lock (Gate)
        {
            if (--_depth > 0 || !Active) return;
            try { GC.EndNoGCRegion(); }
            catch (InvalidOperationException) { }   // the region had ended with a collection already
        }
    }

    sealed class Hold : IDisposable
    {
        int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) End();
        }
    }
}
