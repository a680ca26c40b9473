using System.Runtime.InteropServices;
using TorchSharp;

namespace Pipeline.Runtime;

/// <summary>
/// Process-wide torch settings that must be chosen deliberately on small CPUs.
/// libtorch's OpenMP workers spin-wait by default: with another busy core, two spinning threads were
/// measured 35x slower than one. <see cref="Configure"/> sets the OpenMP wait policy (before libgomp
/// starts, through the C environment, which .NET's Environment API does not touch) and the thread counts.
/// </summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static RuntimeSettings? _applied;

    /// <summary>The settings in effect, or null before <see cref="Configure"/>.</summary>
    public static RuntimeSettings? Applied => _applied;

    /// <summary>Applies <paramref name="settings"/>; the wait policy only takes effect on the first call in a process.</summary>
    public static RuntimeSettings Configure(RuntimeSettings settings)
    {
        if (settings.Threads < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"Threads must be >= 1, got {settings.Threads}.");
        lock (Gate)
        {
            if (_applied is null)
            {
                // Must precede the first torch call: libgomp reads these when it is loaded.
                SetNativeEnvironment("OMP_WAIT_POLICY", settings.OmpWaitPolicy, overwrite: false);
                SetNativeEnvironment("OMP_NUM_THREADS", settings.Threads.ToString(), overwrite: false);
                SetNativeEnvironment("MKL_NUM_THREADS", settings.Threads.ToString(), overwrite: false);
            }
            torch.set_num_threads(settings.Threads);
            if (_applied is null)
            {
                NativeSwitches.DisableNnpack();
                try { torch.set_num_interop_threads(settings.InteropThreads); }
                catch (Exception) { /* libtorch refuses once parallel work has started; the first value stays. */ }
            }
            _applied = settings;
            return settings;
        }
    }

    /// <summary>Configures once with <paramref name="settings"/> (or defaults) if nothing was configured yet.</summary>
    public static RuntimeSettings EnsureConfigured(RuntimeSettings? settings = null)
    {
        lock (Gate) return _applied ?? Configure(settings ?? RuntimeSettings.Default);
    }

    static void SetNativeEnvironment(string name, string value, bool overwrite)
    {
        Environment.SetEnvironmentVariable(name, Environment.GetEnvironmentVariable(name) ?? value);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = setenv(name, value, overwrite ? 1 : 0);
    }

    [DllImport("libc", SetLastError = true)]
    static extern int setenv(string name, string value, int overwrite);
}

/// <summary>Thread settings for libtorch. <c>PASSIVE</c> makes idle OpenMP workers sleep instead of spinning.</summary>
public sealed record RuntimeSettings(int Threads, int InteropThreads = 1, string OmpWaitPolicy = "PASSIVE")
{
    /// <summary>
    /// One thread less than the cores (at least one), passive waiting. libtorch's threads synchronise at every
    /// operation: when another process takes one of the cores, a thread per core waits on the busy one (measured on
    /// 2 cores: all cores 10x slower than one thread under such load), while leaving a core free costs at most
    /// 1/cores of the idle-machine speed. <c>--threads</c> overrides it.
    /// </summary>
    public static RuntimeSettings Default => new(DefaultThreads(Environment.ProcessorCount));

    public static int DefaultThreads(int cores) => Math.Max(1, cores - 1);

    /// <summary>One thread: for tests and for runs that share the machine.</summary>
    public static RuntimeSettings SingleThreaded => new(1);
}
