using Pipeline.Training.TinyDefault;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Cli;

/// <summary>
/// <c>sdxl train</c> runs the whole plan: the VAE, then the base here beside the refiner and TAESD in a second process
/// (two cores), and reports the wall clock per lane. A tiny scale keeps every stage to a few steps.
/// </summary>
public sealed class TrainLanesTests(ITestOutputHelper log)
{
    [Fact]
    public void The_whole_plan_trains_in_two_lanes_and_reports_each_lanes_time()
    {
        var dir = Directory.CreateTempSubdirectory("train-lanes").FullName;
        try
        {
            string work = Path.Combine(dir, "work"), models = Path.Combine(dir, "models");
            var (code, raw) = CliHarness.Sdxl("train", "--scale", "0.002", "--work", work, "--out", models, "--threads", "1");
            log.WriteLine(raw);
            var output = string.Join(" ", raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));   // console wrapping undone
            Assert.True(code == 0, output);
            foreach (var file in new[] { TinyTraining.BaseFile, TinyTraining.RefinerFile, TinyTraining.TaesdFile })
                Assert.True(File.Exists(Path.Combine(models, file)), $"{file} is missing");
            Assert.False(File.Exists(Path.Combine(models, TinyTraining.TaesdEncoderFile)));   // not part of all
            if (Environment.ProcessorCount >= 2)
            {
                Assert.Matches(@"training finished in [\d.]+ min: vae [\d.]+ min, then base [\d.]+ min beside refiner \+ taesd [\d.]+ min", output);
                var laneLog = File.ReadAllText(Path.Combine(work, "train-refiner-taesd.log"));
                Assert.Contains("refiner step", laneLog);
                Assert.Contains("taesd step", laneLog);
                Assert.DoesNotContain("base: ", laneLog);   // the base trained in this process only
                // Each stage's wall clock, where it ran.
                Assert.Matches(@"refiner: refiner: finished \d+ steps in [\d.]+ min", laneLog);
                Assert.Matches(@"taesd: finished \d+ steps in [\d.]+ min", laneLog);
            }
            foreach (var stage in new[] { "vae phase 1", "vae phase 2", "vae phase 3", "base: low-res 32x32", "base: 64x64", "base: multi-aspect" })
                Assert.Matches(stage + @": finished \d+ steps in [\d.]+ min", output);
            // A second run finds every stage done.
            var (again, second) = CliHarness.Sdxl("train", "--scale", "0.002", "--work", work, "--out", models, "--threads", "1", "--sequential");
            Assert.True(again == 0, second);
            Assert.Contains("exists: skipped", second);
            Assert.DoesNotContain(" step ", second);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("refiner,taesd", new[] { "refiner", "taesd" })]
    [InlineData(" all ", new[] { "vae", "base", "refiner", "taesd" })]
    [InlineData("taesd-encoder,vae", new[] { "taesd-encoder", "vae" })]
    public void Stage_lists_parse(string text, string[] expected) => Assert.Equal(expected, TinyTraining.ParseStages(text));

    [Fact]
    public void An_unknown_stage_in_a_list_is_refused_before_any_work_with_the_valid_ones()
    {
        var (code, raw) = CliHarness.Sdxl("train", "--stage", "refiner,bogus", "--work", Path.Combine(Path.GetTempPath(), "never-created-train"), "--threads", "1");
        var output = string.Join(" ", raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Contains("unknown --stage 'bogus'; valid: all, or a comma-separated list of vae, base, refiner, taesd, taesd-encoder", output);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "never-created-train")));
    }
}
