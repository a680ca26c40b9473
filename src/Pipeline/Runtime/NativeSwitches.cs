using System.Runtime.InteropServices;
using TorchSharp;

namespace Pipeline.Runtime;

/// <summary>
/// libtorch switches that TorchSharp does not expose, reached through libtorch's exported C++ API
/// (<c>at::globalContext()</c> and its setters; on x86-64 a member function takes <c>this</c> as its first argument). A
/// C++ bool argument is passed as a zero-extended int: clang-built callers and callees assume the upper bits of its
/// register are zero, and a one-byte marshalled bool left them undefined (setFlushDenormal(false) read as true).
/// </summary>
public static class NativeSwitches
{
    const string GlobalContext = "_ZN2at13globalContextEv";
    const string SetNnpack = "_ZN2at7Context20setUserEnabledNNPACKEb";
    const string GetNnpack = "_ZNK2at7Context17userEnabledNNPACKEv";
    const string SetFlushDenormal = "_ZN2at7Context16setFlushDenormalEb";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr ContextFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetFlagFn(IntPtr context, int value);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] [return: MarshalAs(UnmanagedType.U1)] delegate bool GetFlagFn(IntPtr context);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] [return: MarshalAs(UnmanagedType.U1)] delegate bool StaticSetFlagFn(int value);

    static readonly Lazy<IntPtr> TorchCpu = new(LoadTorchCpu);

    /// <summary>
    /// Turns NNPACK off. libtorch only considers NNPACK for fp32 convolutions that oneDNN does not take, and on CPUs
    /// it does not support it logs "Could not initialize NNPACK! Reason: Unsupported hardware." on every such call
    /// (thousands of lines for a long run). With the user switch off, libtorch never asks NNPACK and uses its other
    /// convolution kernels, as <c>torch.backends.nnpack.set_flags(False)</c> does in PyTorch.
    /// Returns false where the switch cannot be reached (another libtorch build); nothing else changes then.
    /// </summary>
    public static bool DisableNnpack()
    {
        if (!TryGet(SetNnpack, out SetFlagFn? set) || !TryGet(GlobalContext, out ContextFn? context)) return false;
        set!(context!(), 0);
        return NnpackEnabled == false;
    }

    /// <summary>libtorch's NNPACK user switch (null where it cannot be read).</summary>
    public static bool? NnpackEnabled =>
        TryGet(GetNnpack, out GetFlagFn? get) && TryGet(GlobalContext, out ContextFn? context) ? get!(context!()) : null;

    /// <summary>
    /// PyTorch's <c>torch.set_flush_denormal</c> for the calling thread only (its SSE control register: denormal results
    /// become zero, denormal inputs read as zero): libtorch's float kernels slow down many times on denormals, which the
    /// tiny base's training meets (its hit steps 0.30 → 0.19 s at <c>sdxl train --scale 0.1</c>). Returns false where the
    /// CPU or the libtorch build cannot (nothing changes then). Other threads, libtorch's OpenMP workers included, keep
    /// their own setting.
    /// </summary>
    public static bool FlushDenormal(bool on) =>
        TryGet(SetFlushDenormal, out StaticSetFlagFn? set) && set!(on ? 1 : 0);   // a static member: no context argument

    static bool TryGet<T>(string symbol, out T? function) where T : Delegate
    {
        function = null;
        if (TorchCpu.Value == IntPtr.Zero || !NativeLibrary.TryGetExport(TorchCpu.Value, symbol, out var address)) return false;
        function = Marshal.GetDelegateForFunctionPointer<T>(address);
        return true;
    }

    static IntPtr LoadTorchCpu()
    {
        // TorchSharp loads libtorch on first use; touch it so the library below is the one already in the process.
        _ = torch.get_num_threads();
        foreach (var name in new[] { "libtorch_cpu.so", "torch_cpu", "libtorch_cpu.dylib", "torch_cpu.dll" })
            if (NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
