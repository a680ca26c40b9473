using System.Runtime.CompilerServices;
using Pipeline.Runtime;

namespace Pipeline.Tests;

static class TestRuntime
{
    /// <summary>Tests run one at a time with one torch thread and passive OpenMP waiting (see TorchRuntime).</summary>
    [ModuleInitializer]
    internal static void Init() => TorchRuntime.Configure(RuntimeSettings.SingleThreaded);
}
