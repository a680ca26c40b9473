using Pipeline.Runtime;
using Pipeline.Tests.Training;
using Pipeline.Training;
using Xunit;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// GcPause keeps garbage collections out of training steps and network evaluations (TorchSharp's temporary Scalars must
/// outlive the native calls that read them). Without it, 40 s of <c>a.add(b)</c> beside a thread making garbage failed
/// twice inside libtorch with the message long trainings died of ("Expected false to be true", from
/// <c>c10::Scalar::toFloat</c>); inside a scope, never (models/README.md has the numbers).
/// </summary>
public sealed class GcPauseTests
{
    [Fact]
    public void No_collection_starts_inside_a_scope_and_the_last_scope_ends_it()
    {
        Assert.False(GcPause.Active);
        using (GcPause.Scope())
        {
            Assert.True(GcPause.Active);
            int collections = GC.CollectionCount(0);
            var kept = new List<byte[]>();
            for (int i = 0; i < 4096; i++) kept.Add(new byte[1024]);   // 4 MiB, well under the budget
            Assert.Equal(collections, GC.CollectionCount(0));
            using (GcPause.Scope()) Assert.True(GcPause.Active);
            Assert.True(GcPause.Active);                                // the outer scope still holds
            GC.KeepAlive(kept);
        }
        Assert.False(GcPause.Active);
        GcPause.Ensure();                                               // outside any scope: nothing
        Assert.False(GcPause.Active);
    }

    [Fact]
    public void When_the_budget_runs_out_the_runtime_collects_and_Ensure_starts_a_new_region()
    {
        int collections = GC.CollectionCount(0);
        using (GcPause.Scope(budgetBytes: 1 << 20))
        {
            for (int i = 0; i < 64; i++) GC.KeepAlive(new byte[1 << 20]);   // 64 MiB of garbage against a 1 MiB budget
            Assert.True(GC.CollectionCount(0) > collections);
            Assert.False(GcPause.Active);
            GcPause.Ensure();
            Assert.True(GcPause.Active);
        }
        Assert.False(GcPause.Active);
        Assert.Throws<ArgumentOutOfRangeException>(() => GcPause.Scope(budgetBytes: 1000));
    }

    [Fact]
    public void Every_training_step_runs_without_collections_and_the_stage_ends_the_region()
    {
        var data = new Recording(new FakeTrainingData(2, 32, 32));
        using var model = TrainingTests.NewModel(TrainingTests.Tiny(), 3);
        using var trainer = new DiffusionTrainer(model, data, new DiffusionTrainingSettings { Steps = 2, Seed = 7 });
        trainer.Train();
        Assert.Equal(new[] { true, true }, data.Active);
        Assert.False(GcPause.Active);
    }

    sealed class Recording(ITrainingData inner) : ITrainingData
    {
        public List<bool> Active { get; } = new();

        public TrainingBatch Batch(long index)
        {
            Active.Add(GcPause.Active);
            return inner.Batch(index);
        }
    }
}
