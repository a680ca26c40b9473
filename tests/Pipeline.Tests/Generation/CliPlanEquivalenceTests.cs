using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Stages;
using Spectre.Console;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>
/// <c>sdxl txt2img</c> / <c>sdxl img2img</c> write byte-identical PNGs (pixels and parameters) to the plan the same
/// options describe, run through the library: the CLI runs the plan, nothing else.
/// </summary>
public sealed class CliPlanEquivalenceTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "sdxl-plan-cli-" + Guid.NewGuid().ToString("N"));
    readonly string _base, _refiner;

    public CliPlanEquivalenceTests()
    {
        Directory.CreateDirectory(_dir);
        _base = Path.Combine(_dir, "base.safetensors");
        _refiner = Path.Combine(_dir, "refiner.safetensors");
        using (var m = SdxlModel.Create(TinyModels.Base)) m.Save(_base);
        using (var r = SdxlModel.Create(TinyModels.Refiner)) r.Save(_refiner);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    static string Sdxl(params string[] args)
    {
        var (code, output) = Pipeline.Tests.Cli.CliHarness.Sdxl(args);
        Assert.True(code == 0, output);
        return output;
    }

    string[] Common(string output) => new[] { "--checkpoint", _base, "--width", "32", "--height", "40" }.Concat(Shared(output)).ToArray();

    string[] Shared(string output) => new[] { "--steps", "6", "--seed", "9",
        "--cfg", "2.5", "--sampler", "euler_ancestral", "--negative", "green", "--out", output };

    byte[] PlanPng(GenerationPlan plan)
    {
        using var result = plan.Run();
        using var image = result.Images[0];
        return PngImage.Encode(image, result.Parameters[0]);
    }

    GenerationPlan Plan(SdxlModel model) =>
        TinyPlans.TextToImage(model, "a red circle", steps: 6, seed: 9, cfg: 2.5, negative: "green", sampler: "euler_ancestral");

    [Fact]
    public void Txt2img_and_both_refiner_modes_match_the_plan()
    {
        using var model = SdxlModel.Load(_base);
        using var refiner = SdxlModel.Load(_refiner);
        var plan = Plan(model);

        var plain = Path.Combine(_dir, "plain.png");
        Sdxl(new[] { "txt2img", "a red circle" }.Concat(Common(plain)).ToArray());
        Assert.Equal(PlanPng(plan), File.ReadAllBytes(plain));

        foreach (var (mode, at, step) in new[]
        {
            ("handoff", "0.7", RefinerStep.Handoff(refiner, 0.7, plan.Sampler, plan.Guider)),
            ("sdedit", "0.3", RefinerStep.SdEdit(refiner, 0.3, 10, plan.Sampler, plan.Guider)),
        })
        {
            var path = Path.Combine(_dir, $"{mode}.png");
            Sdxl(new[] { "txt2img", "a red circle" }.Concat(Common(path)).Concat(new[] { "--refiner", _refiner, "--refiner-mode", mode, "--refiner-at", at }).ToArray());
            Assert.Equal(PlanPng(plan.WithRefiner(step)), File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void Img2img_matches_the_plan()
    {
        var input = Path.Combine(_dir, "in.png");
        using (var pixels = rand(3, 40, 32, generator: new Generator(2))) PngImage.WriteAtomically(input, PngImage.Encode(pixels));
        var output = Path.Combine(_dir, "img2img.png");
        Sdxl(new[] { "img2img", input, "a red circle", "--strength", "0.5", "--checkpoint", _base }.Concat(Shared(output)).ToArray());

        using var model = SdxlModel.Load(_base);
        using var image = PngImage.Read(input);
        using var batch = image.unsqueeze(0);
        Assert.Equal(PlanPng(Plan(model).WithInit(InitInput.FromImage(batch, 0.5))), File.ReadAllBytes(output));
    }
}
