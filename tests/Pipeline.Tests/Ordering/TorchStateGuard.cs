using System.Reflection;
using Pipeline.Runtime;
using TorchSharp;
using Xunit.Sdk;

[assembly: Pipeline.Tests.Ordering.TorchStateGuard]

namespace Pipeline.Tests.Ordering;

/// <summary>
/// Every test must leave the process's torch state as it found it: default dtype float32, gradients enabled, the
/// suite's thread count (see <see cref="TestRuntime"/>). After each test the state is compared with the suite's
/// baseline; a test that changed it fails with what it changed (and the baseline is restored, so one offender
/// cannot make the rest of the suite depend on the order the tests happen to run in).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class TorchStateGuardAttribute : BeforeAfterTestAttribute
{
    static readonly ThreadLocal<TorchState?> Baseline = new();

    public override void Before(MethodInfo methodUnderTest) => Baseline.Value = TorchState.Read();

    public override void After(MethodInfo methodUnderTest)
    {
        var before = Baseline.Value;
        var after = TorchState.Read();
        if (before is null || before == after) return;
        TorchState.Restore(before);
        throw new InvalidOperationException(
            $"{methodUnderTest.DeclaringType?.Name}.{methodUnderTest.Name} changed global torch state: before {before}, after {after} (restored)");
    }
}

/// <summary>The global torch settings a test could leak.</summary>
public sealed record TorchState(torch.ScalarType DefaultDType, bool GradEnabled, int Threads, RuntimeSettings? Runtime)
{
    public static TorchState Read() =>
        new(torch.get_default_dtype(), torch.is_grad_enabled(), torch.get_num_threads(), TorchRuntime.Applied);

    public static void Restore(TorchState s)
    {
        torch.set_default_dtype(s.DefaultDType);
        torch.set_grad_enabled(s.GradEnabled);
        if (s.Runtime is not null) TorchRuntime.Configure(s.Runtime);
        torch.set_num_threads(s.Threads);
    }
}
