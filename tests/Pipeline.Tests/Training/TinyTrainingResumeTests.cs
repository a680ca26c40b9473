using Pipeline.Training.TinyDefault;
using Xunit;

namespace Pipeline.Tests.Training;

/// <summary>
/// An interrupted <c>sdxl train</c> keeps each running stage's training state in the work folder (every
/// <see cref="TinyTrainingPlan.CheckpointEvery"/> steps, and at the step where a cancellation stopped it) and the rerun
/// resumes from it: the weights come out bit for bit as from an uninterrupted run. A crash loses the steps since the
/// last checkpoint; a cancellation loses none.
/// </summary>
public sealed class TinyTrainingResumeTests
{
    // Every stage a few steps of a few images: VAE 3 + 6 steps, base 2 + 12 + 3.
    static readonly TinyTrainingPlan Plan = new TinyTrainingPlan(VaeBatch: 4, BaseBatch: 4, CheckpointEvery: 2).Scaled(0.004);

    /// <summary>Trains vae and base; at step <paramref name="stopAt"/> of <paramref name="stopIn"/> it cancels, or with
    /// <paramref name="crash"/> throws from the progress report as a failing step would.</summary>
    static List<TinyTrainingEvent> Run(string work, string models, string? stopIn = null, long stopAt = 0, List<TinyTrainingEvent>? events = null,
        bool crash = false, string stages = "vae,base")
    {
        events ??= new List<TinyTrainingEvent>();
        using var cancel = new CancellationTokenSource();
        TinyTraining.Run(Plan, work, models, stages, e =>
        {
            events.Add(e);
            if (e.Stage != stopIn || e.Progress?.Step != stopAt) return;
            if (crash) throw new InvalidOperationException("simulated crash");
            cancel.Cancel();
        }, cancel.Token);
        return events;
    }

    /// <summary>Runs <paramref name="body"/> with a temporary folder per named run: Work(name), Models(name); deleted after.</summary>
    static void InRunFolders(Action<Func<string, string>, Func<string, string>> body)
    {
        var dir = Directory.CreateTempSubdirectory("tiny-training").FullName;
        try { body(n => Path.Combine(dir, n, "work"), n => Path.Combine(dir, n, "models")); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_run_cancelled_in_the_vae_and_crashed_in_the_base_resumes_to_the_same_weights() => InRunFolders((Work, Models) =>
        {
            Run(Work("straight"), Models("straight"));

            // Cancelled after step 3 of the VAE's second phase: its state holds step 3 (the periodic one had step 2).
            Assert.Throws<OperationCanceledException>(() => Run(Work("stopped"), Models("stopped"), "vae phase 2", 3));
            Assert.True(File.Exists(TinyTraining.StatePath(Work("stopped"), "vae-phase-2")));
            Assert.False(File.Exists(Path.Combine(Work("stopped"), TinyTraining.VaeFile)));

            // The rerun resumes the VAE at step 3, then crashes after step 5 of the base's second stage (its state: step 4).
            var second = new List<TinyTrainingEvent>();
            Assert.Equal("simulated crash", Assert.Throws<InvalidOperationException>(() => Run(Work("stopped"), Models("stopped"), "base: 64x64", 5, second, crash: true)).Message);
            Assert.Contains(second, e => e.Stage == "vae phase 2" && e.Message is { } m && m.StartsWith("resumed at step 3 of 6"));
            Assert.Equal(4, second.First(e => e.Stage == "vae phase 2" && e.Progress is not null).Progress!.Step);
            Assert.False(File.Exists(TinyTraining.StatePath(Work("stopped"), "vae-phase-2")));   // the VAE finished: its states are gone
            Assert.True(File.Exists(TinyTraining.StatePath(Work("stopped"), "base-stage-1")));
            Assert.False(File.Exists(Path.Combine(Models("stopped"), TinyTraining.BaseFile)));

            var third = Run(Work("stopped"), Models("stopped"));
            Assert.Contains(third, e => e.Stage == "base: 64x64" && e.Message is { } m && m.StartsWith("resumed at step 4 of 12"));
            Assert.Contains(third, e => e.Stage == "base: low-res 32x32" && e.Message is { } m && m.StartsWith("done (held by"));
            Assert.Equal(5, third.First(e => e.Stage == "base: 64x64" && e.Progress is not null).Progress!.Step);   // step 5 again, not 1
            Assert.DoesNotContain(third, e => e.Stage.StartsWith("vae") && e.Progress is not null);

            Assert.Equal(File.ReadAllBytes(Path.Combine(Models("straight"), TinyTraining.BaseFile)),
                File.ReadAllBytes(Path.Combine(Models("stopped"), TinyTraining.BaseFile)));
            Assert.Empty(Directory.GetFiles(Work("stopped"), "*.state"));
        });

    /// <summary>
    /// libtorch failing inside a step (as TorchSharp's freed temporaries make it do, rarely) resumes the stage from its
    /// last state in the same process, and the run ends in the bytes of one that never failed; an error that is not
    /// libtorch's stands.
    /// </summary>
    [Fact]
    public void A_libtorch_error_in_a_step_resumes_from_the_last_state_and_ends_in_the_same_weights() => InRunFolders((Work, Models) =>
        {
            Run(Work("straight"), Models("straight"));
            var events = new List<TinyTrainingEvent>();
            int failures = 0;
            TinyTraining.Run(Plan, Work("failed"), Models("failed"), "vae,base", e =>
            {
                events.Add(e);
                if (e.Stage == "base: 64x64" && e.Progress?.Step == 5 && failures++ == 0)
                    throw new System.Runtime.InteropServices.ExternalException("Expected false to be true, but got false.\nException raised from toFloat");
            });
            Assert.Equal(1, failures - 1);   // step 5 was reported twice: once failing, once after the resume
            Assert.Contains(events, e => e.Stage == "base: 64x64" && e.Message is { } m
                && m.StartsWith("libtorch failed in a step (Expected false to be true, but got false.); resumed at step 4"));
            Assert.Equal(File.ReadAllBytes(Path.Combine(Models("straight"), TinyTraining.BaseFile)),
                File.ReadAllBytes(Path.Combine(Models("failed"), TinyTraining.BaseFile)));
        });

    /// <summary>
    /// The VAE's third phase (the decoder-only polish with flat backgrounds) leaves the encoder, and so the latents and
    /// scale factor every diffusion stage trains on, bit for bit as without it, and moves the decoder.
    /// </summary>
    [Fact]
    public void The_vae_polish_phase_moves_the_decoder_only() => InRunFolders((Work, Models) =>
        {
            TinyTraining.Run(Plan with { VaePolishSteps = 0 }, Work("plain"), Models("plain"), "vae", _ => { });
            var events = new List<TinyTrainingEvent>();
            TinyTraining.Run(Plan with { VaePolishSteps = 3 }, Work("polished"), Models("polished"), "vae", events.Add);
            Assert.Equal(3, events.Count(e => e.Stage == "vae phase 3" && e.Progress is not null));
            using var plain = Pipeline.Checkpoints.SafeTensorsFile.Open(Path.Combine(Work("plain"), TinyTraining.VaeFile));
            using var polished = Pipeline.Checkpoints.SafeTensorsFile.Open(Path.Combine(Work("polished"), TinyTraining.VaeFile));
            Assert.Equal(plain.Metadata["scale_factor"], polished.Metadata["scale_factor"]);
            Assert.Equal(plain.Entries.Keys.Order(), polished.Entries.Keys.Order());
            var moved = new List<string>();
            foreach (var name in plain.Entries.Keys)
            {
                using var a = plain.Read(name);
                using var b = polished.Read(name);
                bool same = a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
                if (Pipeline.Training.VaeTrainer.IsDecoderSide(name)) { if (!same) moved.Add(name); }
                else Assert.True(same, $"{name} changed in the decoder-only phase");
            }
            Assert.Contains(moved, n => n.StartsWith("decoder."));
        });

    /// <summary>
    /// <c>sdxl train</c> writes into <c>models/</c> by default, where the shipped weights already are: a file this work
    /// folder did not write is trained anew and replaced (it used to be skipped, so "retrain from scratch" kept the old
    /// base and distilled TAESD from its VAE); what this work folder finished is skipped on a rerun.
    /// </summary>
    [Fact]
    public void Outputs_this_work_folder_did_not_write_are_trained_anew_and_replaced() => InRunFolders((Work, Models) =>
        {
            string Out(string n, string file) => Path.Combine(Models(n), file);
            Run(Work("clean"), Models("clean"), stages: "vae,taesd");

            Directory.CreateDirectory(Models("used"));
            var shipped = Pipeline.Models.Bundles.EmbeddedModels.Base ?? throw new InvalidOperationException("the embedded default is missing");
            File.Copy(shipped, Out("used", TinyTraining.BaseFile));
            File.WriteAllText(Out("used", TinyTraining.TaesdFile), "another run's file");
            var first = Run(Work("used"), Models("used"), stages: "vae,taesd");
            Assert.Contains(first, e => e.Stage == "taesd" && e.Message is { } m && m.Contains("was not trained from"));
            // Distilled from this work folder's VAE, not from the base that happened to be in models/.
            Assert.Equal(File.ReadAllBytes(Out("clean", TinyTraining.TaesdFile)), File.ReadAllBytes(Out("used", TinyTraining.TaesdFile)));

            var again = Run(Work("used"), Models("used"), stages: "vae,taesd,base");
            Assert.Contains(again, e => e.Stage == "taesd" && e.Message is { } m && m.EndsWith("exists: skipped"));
            Assert.Contains(again, e => e.Stage == "base" && e.Message is { } m && m.Contains("was not trained from"));
            Assert.NotEqual(File.ReadAllBytes(shipped), File.ReadAllBytes(Out("used", TinyTraining.BaseFile)));
            Assert.Contains(Run(Work("used"), Models("used"), stages: "base"), e => e.Stage == "base" && e.Message is { } m && m.EndsWith("exists: skipped"));
        });

    [Fact]
    public void A_checkpoint_interval_below_one_step_is_refused_before_any_work() => InRunFolders((Work, Models) =>
        {
            var e = Assert.Throws<ArgumentException>(() => TinyTraining.Run(Plan with { CheckpointEvery = 0 }, Work("bad"), Models("bad"), "vae", _ => { }));
            Assert.Contains("checkpoint interval 0", e.Message);
            Assert.False(Directory.Exists(Work("bad")) || Directory.Exists(Models("bad")));
        });
}
