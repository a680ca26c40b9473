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

    /// <summary>
    /// Sets the OpenMP wait policy in the native environment while libtorch (and with it libgomp, which reads the
    /// policy once, when it loads) is not loaded yet. Runs when this assembly loads (module initializer) and from the
    /// <c>sdxl</c> entry point; <see cref="Configure"/> is often too late, because any torch call (a device, a dtype
    /// check) loads libtorch. An <c>OMP_WAIT_POLICY</c> the user set is kept. Measured on 2 cores with another torch
    /// process running: a 200-step tiny txt2img at 2 threads took 8.9 s with the default (spinning) policy, 2.2x the
    /// 1-thread time.
    /// </summary>
    public static void PrepareNativeEnvironment() => SetNativeEnvironment("OMP_WAIT_POLICY", "PASSIVE", overwrite: false);

#pragma warning disable CA2255 // deliberate: must run before any code of this library can load libtorch
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void OnAssemblyLoad() => PrepareNativeEnvironment();
#pragma warning restore CA2255

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
                MklDispatch.Apply();
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
    /// <summary>One thread per core, passive waiting.</summary>
    public static RuntimeSettings Default => new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>
    /// The thread count that measured fastest for a model meant for <paramref name="imageSide"/>-pixel images: one
    /// thread for small models (their operations are too small to split: the embedded 64-px model ran 200 steps in
    /// 2.8 s on 1 thread and 8.1 s on 2, idle), one per core for full-size ones (SDXL UNet, 256² latent batch 2:
    /// 7.4 s/eval on 2 threads vs 10.7 s on 1, idle; 8.5 vs 10.5 s with the other core busy).
    /// </summary>
    public static RuntimeSettings ForModel(int imageSide) => imageSide <= 128 ? SingleThreaded : Default;

    /// <summary>One thread: for tests and for runs that share the machine.</summary>
    public static RuntimeSettings SingleThreaded => new(1);
}
