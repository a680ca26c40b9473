using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Models;

/// <summary>The memory law: running something a second time leaves the thread's live tensor count where it was.</summary>
static class MemoryLaw
{
    static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    public static void AssertNoLeak(ITestOutputHelper output, string what, Action run)
    {
        run();   // warm-up: anything created once per model shows up here, not as a leak
        long before = Live;
        run();
        long after = Live;
        output.WriteLine($"{what}: live tensors {before} → {after}");
        Assert.True(before == after, $"{what} left {after - before} live tensors behind");
    }
}
