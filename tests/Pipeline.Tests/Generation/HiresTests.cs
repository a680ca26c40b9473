using System.Collections.Immutable;
using Pipeline.Cli;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Cli;
using Pipeline.Tests.Stages;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>A1111's hires fix as a plan step: a second img2img pass from the enlarged first-pass latent.</summary>
public sealed class HiresTests : IDisposable
{
    readonly SdxlModel _model = SdxlModel.Create(TinyModels.Base);

    public void Dispose() => _model.Dispose();

    static readonly ImageSize Small = new(32, 24), Large = new(64, 48);

    GenerationPlan Plan() => TinyPlans.TextToImage(_model, size: Small, steps: 5, seed: 7);

    HiresStep Step(HiresUpscaler upscaler = HiresUpscaler.Bilinear) =>
        new(Large, upscaler, ComponentRegistry.BuiltIns.Schedule("legacy_ddpm", 6), 0.5);

    [Theory]
    [InlineData(HiresUpscaler.Bilinear)]
    [InlineData(HiresUpscaler.Bicubic)]
    [InlineData(HiresUpscaler.NearestExact)]
    public void The_second_pass_is_img2img_from_the_enlarged_first_pass_latent(HiresUpscaler upscaler)
    {
        var plan = Plan().WithHires(Step(upscaler));
        Assert.Equal(5 + plan.Hires!.RunSigmas.Steps, plan.TotalSteps);
        Assert.Contains("hires", plan.Describe());
        using var hires = plan.RunLatents();
        Assert.Equal(_model.Config.LatentShape(1, Large.Height, Large.Width), hires.shape);

        // By hand: the first pass, its latent enlarged, then an img2img plan at the large size (seed + 2, rows at the new size).
        using var first = Plan().RunLatents();
        using var enlarged = upscaler.Resize(first, Large.Height / 8, Large.Width / 8);
        var rows = Plan().Rows.Select(r => r with { Micro = MicroConditioning.ForImage(Large) }).ToImmutableArray();
        var second = Plan() with { Rows = rows, Size = Large, Sigmas = plan.Hires.Sigmas, Seed = 9, Init = InitInput.FromLatent(enlarged, 0.5) };
        using var byHand = second.RunLatents();
        Assert.True(TinyPlans.Same(byHand, hires), "the hires plan is not the composition of its passes");
    }

    [Fact]
    public void Lanczos_keeps_flat_images_flat_and_the_pixel_hires_pass_is_decode_resize_img2img()
    {
        using (var scope = NewDisposeScope())
        {
            var flat = full(new long[] { 1, 3, 8, 12 }, 0.3f);
            Assert.True((Lanczos.Resize(flat, 20, 7) - 0.3f).abs().max().item<float>() < 1e-6);
            // A smooth image enlarged then shrunk back comes close to itself.
            var smooth = nn.functional.interpolate(rand(new long[] { 1, 3, 3, 3 }, generator: new TorchSharp.torch.Generator(2)), new long[] { 16, 16 },
                mode: InterpolationMode.Bilinear, align_corners: true);
            Assert.True((Lanczos.Resize(Lanczos.Resize(smooth, 32, 32), 16, 16) - smooth).abs().max().item<float>() < 0.02);
        }
        var plan = Plan().WithHires(Step(HiresUpscaler.Lanczos));
        Assert.Contains("Lanczos", plan.Describe());
        using var hires = plan.RunLatents();
        using var first = Plan().RunLatents();
        using var decoded = Pipeline.Stages.DecodeStage.Run(_model.FirstStage, first);
        using var enlarged = Lanczos.Resize(decoded, Large.Height, Large.Width).clamp(0, 1);
        var rows = Plan().Rows.Select(r => r with { Micro = MicroConditioning.ForImage(Large) }).ToImmutableArray();
        var second = Plan() with { Rows = rows, Size = Large, Sigmas = plan.Hires!.Sigmas, Seed = 9, Init = InitInput.FromImage(enlarged, 0.5) };
        using var byHand = second.RunLatents();
        Assert.True(TinyPlans.Same(byHand, hires), "the Lanczos hires plan is not decode → resize → img2img");
    }

    [Fact]
    public void Hires_parameters_are_recorded_the_A1111_way_and_progress_counts_both_passes()
    {
        var plan = Plan().WithHires(Step());
        int last = 0, total = 0;
        var phases = new HashSet<string>();
        using var result = plan.Run(new InlineProgress<PlanProgress>(p => { last = p.Done; total = p.Total; phases.Add(p.Phase); }));
        Assert.Equal(plan.TotalSteps, last);
        Assert.Equal(plan.TotalSteps, total);
        Assert.Equal(new HashSet<string> { "base", "hires" }, phases);
        Assert.Equal(new long[] { 1, 3, Large.Height, Large.Width }, result.Images.shape);
        var text = result.Parameters[0].ToA1111();
        var back = GenerationParameters.Parse(text)!;
        Assert.Equal("2", back.Extra!["Hires upscale"]);
        Assert.Equal("48x64", back.Extra["Hires resize"]);
        Assert.Equal("6", back.Extra["Hires steps"]);
        Assert.Equal("Latent", back.Extra["Hires upscaler"]);
        Assert.Equal("0.5", back.Extra["Denoising strength"]);
        Assert.Equal(24, back.Width);   // Size: the first pass, as A1111
    }

    [Fact]
    public void Bad_hires_steps_are_refused()
    {
        var schedule = ComponentRegistry.BuiltIns.Schedule("legacy_ddpm", 6);
        Assert.Contains(Plan().WithHires(new HiresStep(new ImageSize(16, 16), HiresUpscaler.Bilinear, schedule, 0.5)).Problems(), p => p.Contains("must be larger"));
        Assert.Contains(Plan().WithHires(new HiresStep(new ImageSize(60, 48), HiresUpscaler.Bilinear, schedule, 0.5)).Problems(), p => p.Contains("multiple of 8"));
        Assert.Contains(Plan().WithHires(new HiresStep(Large, HiresUpscaler.Bilinear, schedule, 1.5)).Problems(), p => p.Contains("strength 1.5"));
        using var refiner = SdxlModel.Create(TinyModels.Refiner);
        var both = Plan().WithHires(Step()).WithRefiner(RefinerStep.SdEdit(refiner, 0.3, 2, Plan().Sampler, Plan().Guider));
        Assert.Contains(both.Problems(), p => p.Contains("both a hires step and a refiner"));
    }

    [Fact]
    public void The_CLI_runs_a_hires_pass()
    {
        using var folder = new TinyCheckpointFolder(_model);
        string dir = folder.Dir, checkpoint = folder.Checkpoint;
        var output = Path.Combine(dir, "out.png");
        string[] common = { "--checkpoint", checkpoint, "--steps", "3", "--seed", "3", "--sampler", "euler", "--width", "24", "--height", "32" };
        var (code, text) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--hires", "2", "--hires-steps", "4", "--out", output }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, text);
        Assert.Equal((48, 64), ImageHeader.Size(output));
        Assert.Contains("Hires upscale: 2", PngTextChunks.Read(File.ReadAllBytes(output))["parameters"]);
        (code, text) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--hires-steps", "4", "--out", Path.Combine(dir, "n.png") }.Concat(common).ToArray());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("need --hires", text);
    }
}
