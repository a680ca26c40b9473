using Pipeline.Server.Queue;
using Xunit;

namespace Pipeline.Tests.Server;

/// <summary>The bounded queue: FIFO, capacity, and cancellation that never frees what a running job still uses.</summary>
public sealed class GenerationQueueTests
{
    [Fact]
    public async Task Waiting_jobs_leave_at_once_when_cancelled_and_running_ones_answer_only_after_their_work_stopped()
    {
        using var queue = new GenerationQueue(3);
        using var release = new ManualResetEventSlim();
        using var running = new CancellationTokenSource();
        bool stillRunning = false;
        Assert.True(queue.TryEnqueue(ct =>
        {
            stillRunning = true;
            release.Wait();
            ct.ThrowIfCancellationRequested();
            return 1;
        }, running.Token, out var first));
        using var waiting = new CancellationTokenSource();
        bool ranSecond = false;
        Assert.True(queue.TryEnqueue(_ => ranSecond = true, waiting.Token, out var second));
        Assert.True(queue.TryEnqueue(_ => 3, default, out var third));
        Assert.False(queue.TryEnqueue(_ => 4, default, out _));          // capacity 3
        Assert.Equal(3, queue.Count);

        waiting.Cancel();                                                  // waiting: out of the queue at once
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.Equal(2, queue.Count);
        Assert.True(queue.TryEnqueue(_ => 5, default, out var fifth));    // its slot is free again

        for (int i = 0; i < 100 && !stillRunning; i++) await Task.Delay(10);
        running.Cancel();                                                  // running: answered only when the work returns
        await Task.Delay(100);
        Assert.False(first.IsCompleted);
        release.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(new[] { 3, 5 }, new[] { await third, await fifth });  // first in, first out
        Assert.False(ranSecond);
        for (int i = 0; i < 100 && queue.Count > 0; i++) await Task.Delay(10);
        Assert.Equal(0, queue.Count);
    }
}
