using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Pipeline.Tokenize;

namespace Pipeline.Benchmarks;

/// <summary>
/// Tokenize stage throughput on a typical batch: eight SDXL prompts and negative prompts of 17–42 tokens,
/// tokenized for both encoders. The Ids/s column is content ids produced per second (both variants counted).
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class TokenizerBenchmark
{
    public static readonly string[] TypicalBatch =
    [
        "a photograph of an astronaut riding a horse on the moon, highly detailed, 8k, cinematic lighting",
        "masterpiece, best quality, ultra-detailed, photorealistic portrait of a young woman, freckles, green eyes, looking at viewer, soft light",
        "(masterpiece:1.2), (best quality:1.1), a cozy cabin in a snowy forest at night, warm glowing windows, [blurry], <lora:detail:0.8>",
        "lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, worst quality, low quality, jpeg artifacts, signature, watermark",
        "An intricate fantasy city built into the branches of colossal glowing trees, winding staircases, rope bridges, lanterns, mist, golden hour",
        "Ein Café in Zürich, naïve Malerei, crème brûlée auf dem Tisch — “gemütlich”",
        "cyberpunk street market in the rain, neon signs, reflections, 35mm photo, f/1.8, bokeh",
        "product shot of a watch on black marble, studio lighting, sharp focus, 4k",
    ];

    /// <summary>Content ids one batch produces, both variants (456).</summary>
    public static int IdsPerBatch()
    {
        var tokens = TokenizeStage.Run(TypicalBatch);
        return tokens.ClipL.Sum(p => p.UntruncatedIds.Length) + tokens.OpenClip.Sum(p => p.UntruncatedIds.Length);
    }

    [Benchmark(Description = "TokenizeStage.Run(8 prompts)")]
    public Tokens TokenizeBatch() => TokenizeStage.Run(TypicalBatch);

    [Benchmark(Description = "Clean-up only, both variants")]
    public int CleanBatch()
    {
        int length = 0;
        foreach (string prompt in TypicalBatch)
        {
            length += Tokenize.Cleaning.ClipTextCleaner.Clean(prompt, ClipTokenizerVariant.ClipL).Length;
            length += Tokenize.Cleaning.ClipTextCleaner.Clean(prompt, ClipTokenizerVariant.OpenClip).Length;
        }
        return length;
    }

    sealed class Config : ManualConfig
    {
        public Config()
        {
            // Short runs: the machine is small and shared; the spread is reported with the mean.
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
            AddColumn(new IdsPerSecondColumn());
        }
    }

    sealed class IdsPerSecondColumn : IColumn
    {
        public string Id => nameof(IdsPerSecondColumn);
        public string ColumnName => "Ids/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Content ids produced per second, both variants (TokenizeStage.Run only)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            if (benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(TokenizeBatch)) return "-";
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (mean is null || mean <= 0) return "?";
            return (IdsPerBatch() / (mean.Value / 1e9)).ToString("N0");
        }
    }
}
