using System.Diagnostics;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Models.Unet;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Diagnostics;

/// <summary>One stage of a benchmarked image: wall time, resident memory after it and the process's peak so far.</summary>
public sealed record BenchStage(string Name, double Seconds, long ResidentBytes, long PeakResidentBytes);

/// <summary>
/// A whole image, stage by stage (<see cref="ImageBenchmark.Run"/>): load, tokenize, condition, every sampler step, decode,
/// PNG; the UNet's achieved rate against the same run's matmul rate of its dtype.
/// </summary>
public sealed record ImageBenchmarkReport(string Model, string DType, int Threads, ImageSize Size, int Steps, bool Guided,
    IReadOnlyList<BenchStage> Stages, IReadOnlyList<double> StepSeconds, int UnetEvaluations, double UnetGflopPerEvaluation,
    double MatmulGflops)
{
    public double TotalSeconds => Stages.Sum(s => s.Seconds);

    /// <summary>UNet FLOPs done per second of sampling (the sampling stage includes the sampler's own arithmetic).</summary>
    public double UnetGflops => UnetEvaluations * UnetGflopPerEvaluation / Math.Max(1e-9, Stages.Single(s => s.Name == "sample").Seconds);

    public double ShareOfMatmulRate => UnetGflops / MatmulGflops;
}

/// <summary>
/// Times one image through the same stages the executor composes (tokenize → condition → sample → decode → PNG), so each
/// stage's cost shows: with few-step samplers everything but the UNet dominates.
/// </summary>
public static class ImageBenchmark
{
    /// <param name="load">makes the model (timed as "load")</param>
    /// <param name="plan">the plan to run on it (its conditioning is computed here, stage by stage)</param>
    public static ImageBenchmarkReport Run(Func<SdxlModel> load, Func<SdxlModel, GenerationPlan> plan, int threads)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(plan);
        var stages = new List<BenchStage>();
        T Stage<T>(string name, Func<T> run)
        {
            var clock = Stopwatch.StartNew();
            var result = run();
            stages.Add(new BenchStage(name, clock.Elapsed.TotalSeconds, ProcessMemory.Resident(), ProcessMemory.PeakResident()));
            return result;
        }
        using var model = Stage("load", load);
        var p = plan(model).Validate();
        if (p.Refiner is not null || p.Hires is not null || p.Init is not null)
            throw new ArgumentException("the image benchmark runs a plain text-to-image plan (no refiner, hires or init)");
        using var noGrad = no_grad();
        var tokens = Stage("tokenize", () => PromptTokenizer.Run(p.Rows, p.Prompting));
        using var conditioning = Stage("condition", () => ConditionStage.Run(model.Conditioner, tokens, p.Rows));
        int evaluations = 0;
        // Counted at the first layer of the UNet's timestep embedding (one call per evaluation, whatever the sampler does
        // per step; not at the input convolution, whose few channels run through Convolutions' padded route, past hooks).
        var input = model.Network.named_modules().Single(m => m.name.EndsWith("diffusion_model.time_embed.0", StringComparison.Ordinal)).module as TorchSharp.Modules.Linear
            ?? throw new InvalidOperationException("the UNet has no time_embed.0 Linear");
        var hook = input.register_forward_hook((_, _, output) => { Interlocked.Increment(ref evaluations); return output; });
        var stepTimes = new List<double>();
        var stepClock = Stopwatch.StartNew();
        using var latents = Stage("sample", () => p.WithConditioning(conditioning).RunLatents(new InlineProgress<PlanProgress>(_ =>
        {
            stepTimes.Add(stepClock.Elapsed.TotalSeconds);
            stepClock.Restart();
        })));
        hook.remove();
        using var images = Stage("decode", () => DecodeStage.Run(model.FirstStage, latents, p.Decode));
        var parameters = PlanParameters.For(p);
        _ = Stage("png", () =>
        {
            using var first = images[0];
            return PngImage.Encode(first, parameters[0]);
        });
        bool guided = Diffusion.Guidance.CfgScale.Of(p.Guider) is not { } cfg || cfg > 1.0;
        int f = model.Config.Vae.DownscaleFactor;
        long context = conditioning.Cond.CrossAttn?.shape[1] ?? 77;
        double perEvaluation = UNetFlops.Count(model.Config.UNet, p.BatchSize * (guided ? 2 : 1), p.Size.Height / f, p.Size.Width / f, (int)context).Total / 1e9;
        double matmul = MatmulRate.GigaflopsPerSecond(dtype: model.ComputeDType);
        return new ImageBenchmarkReport(model.Name, model.Int8Linears ? $"{model.ComputeDType}+int8" : model.ComputeDType.ToString(), threads, p.Size, p.Sigmas.Steps, guided, stages, stepTimes,
            evaluations, perEvaluation, matmul);
    }
}
