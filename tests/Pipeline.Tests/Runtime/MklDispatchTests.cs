using Pipeline.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Runtime;

/// <summary>MKL's dispatch on AMD CPUs (<see cref="MklDispatch"/>): applied as the CPU and the switch say, and the GEMMs
/// it then runs are still right.</summary>
public sealed class MklDispatchTests
{
    [Fact]
    public void The_choice_follows_the_cpu_vendor_and_the_switch_and_fp32_gemm_stays_exact()
    {
        TorchRuntime.EnsureConfigured(RuntimeSettings.SingleThreaded);
        bool amd = File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("vendor_id", StringComparison.Ordinal) && l.Contains("AuthenticAMD"));
        bool keep = string.Equals(Environment.GetEnvironmentVariable(MklDispatch.Variable), "keep", StringComparison.OrdinalIgnoreCase);
        Assert.Equal(amd && !keep && OperatingSystem.IsLinux(), MklDispatch.IntelPathEnabled);
        Assert.Contains(MklDispatch.IntelPathEnabled ? "feature-flag dispatch" : "own dispatch", MklDispatch.Status);

        // Whatever kernels MKL chose: fp32 GEMM at a UNet shape against float64, within fp32's accumulation error.
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var a = randn(new long[] { 256, 640 }, generator: g);
        var b = randn(new long[] { 640, 1280 }, generator: g);
        var exact = a.to(ScalarType.Float64).mm(b.to(ScalarType.Float64));
        double error = ((a.mm(b).to(ScalarType.Float64) - exact).abs().max() / exact.abs().max()).item<double>();
        Assert.True(error < 1e-5, $"fp32 GEMM relative error {error:E2}");
    }
}
