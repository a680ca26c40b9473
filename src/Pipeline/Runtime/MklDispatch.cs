using System.Runtime.InteropServices;

namespace Pipeline.Runtime;

/// <summary>
/// libtorch's CPU BLAS is Intel's oneMKL, linked into libtorch_cpu.so. On AMD CPUs MKL takes a slower code path after
/// a vendor check (<c>mkl_serv_intel_cpu_true</c>), although the CPU has the instructions of the fast one: on this
/// project's AMD EPYC (AVX-512) fp32 GEMM at the UNet's shapes ran at 65–92 GFLOP/s per core, against 85–102 with the
/// check answering "yes" (the rate OpenBLAS reaches on the same core). <see cref="Apply"/> makes that exported function
/// return 1 in this process — in memory, before MKL's first call caches its choice; libtorch's files are not changed —
/// so MKL picks its kernels by the CPU's feature flags alone. Intel CPUs are left alone (the check already answers yes);
/// <c>SDXL_MKL_CPU_CHECK=keep</c> keeps MKL's own choice. <see cref="Status"/> says what happened
/// (<c>sdxl bench matmul</c> prints it).
/// </summary>
public static class MklDispatch
{
    public const string Variable = "SDXL_MKL_CPU_CHECK";

    static readonly object Gate = new();
    static bool _done;

    /// <summary>What <see cref="Apply"/> did, in words.</summary>
    public static string Status { get; private set; } = "MKL's own dispatch (not applied yet)";

    /// <summary>Whether MKL was told to use its feature-flag dispatch on this (non-Intel) CPU.</summary>
    public static bool IntelPathEnabled { get; private set; }

    /// <summary>Applies the choice once per process (from <see cref="TorchRuntime.Configure"/>, before any matmul).</summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (_done) return;
            _done = true;
            Status = Decide();
        }
    }

    static string Decide()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "MKL's own dispatch (not Linux x64)";
        if (string.Equals(Environment.GetEnvironmentVariable(Variable), "keep", StringComparison.OrdinalIgnoreCase))
            return $"MKL's own dispatch ({Variable}=keep)";
        var vendor = CpuVendor();
        if (vendor != "AuthenticAMD") return $"MKL's own dispatch ({(vendor.Length > 0 ? vendor : "unknown vendor")})";
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library) || !NativeLibrary.TryGetExport(library, "mkl_serv_intel_cpu_true", out var function))
            return "MKL's own dispatch (libtorch_cpu.so has no mkl_serv_intel_cpu_true: not MKL, or another version)";
        // mov eax, 1; ret
        byte[] code = { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 };
        var current = new byte[code.Length];
        Marshal.Copy(function, current, 0, code.Length);
        if (current.AsSpan().SequenceEqual(code)) { IntelPathEnabled = true; return "MKL's feature-flag dispatch on this AMD CPU (already in effect)"; }
        long page = 4096, start = function.ToInt64() & ~(page - 1), length = (function.ToInt64() + code.Length - start + page - 1) / page * page;
        if (mprotect(new IntPtr(start), (nuint)length, 7) != 0)
            return $"MKL's own dispatch (mprotect refused, errno {Marshal.GetLastPInvokeError()})";
        Marshal.Copy(code, 0, function, code.Length);
        _ = mprotect(new IntPtr(start), (nuint)length, 5);
        IntelPathEnabled = true;
        return $"MKL's feature-flag dispatch on this AMD CPU (its vendor check answered yes in this process; {Variable}=keep to leave it)";
    }

    static string CpuVendor()
    {
        try
        {
            var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal)) : null;
            return line is null ? "" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { return ""; }
    }

    [DllImport("libc", SetLastError = true)]
    static extern int mprotect(IntPtr address, nuint length, int protection);
}
