using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Spectre.Console;
using Xunit;

namespace Pipeline.Tests.Cli;

/// <summary>The <c>sdxl</c> command in-process, with its console captured.</summary>
public sealed class CliTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "sdxl-cli-" + Guid.NewGuid().ToString("N"));
    readonly string _checkpoint;

    public CliTests()
    {
        Directory.CreateDirectory(_dir);
        _checkpoint = Path.Combine(_dir, "tiny.safetensors");
        using var model = SdxlModel.Create(TinyModels.Base);
        model.Save(_checkpoint);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    static (int Code, string Output) Sdxl(params string[] args) => CliHarness.Sdxl(args);

    static string OneLine(string s) => string.Join(" ", s.Split(new[] { ' ', '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Wrong_choices_fail_with_the_valid_ones()
    {
        var (code, output) = Sdxl("txt2img", "x", "--checkpoint", _checkpoint, "--sampler", "eulr");
        Assert.Equal(2, code);
        Assert.Contains("unknown sampler 'eulr'; valid: ddim, ddpm, dpm_2,", OneLine(output));
        Assert.Contains("euler", output);

        (code, output) = Sdxl("txt2img", "x", "--checkpoint", _checkpoint, "--dtype", "fp8");
        Assert.Equal(2, code);
        Assert.Contains("unknown --dtype 'fp8'; valid: auto, fp32, bf16, fp16", OneLine(output));

        (code, output) = Sdxl("txt2img", "x", "--checkpoint", _checkpoint, "--schedule", "karas");
        Assert.Contains("unknown discretization 'karas'; valid:", OneLine(output));

        (code, output) = Sdxl("txt2img", "x", "--checkpoint", _checkpoint, "--width", "30");
        Assert.Equal(2, code);
        Assert.Contains("--width must be a positive multiple of 8, got 30", OneLine(output));
    }

    [Fact]
    public void Without_a_checkpoint_it_says_the_embedded_default_is_missing_instead_of_producing_noise()
    {
        if (EmbeddedModels.Base is not null) return; // once the default ships, the main command uses it
        var (code, output) = Sdxl("txt2img", "a red circle on a blue background", "--out", Path.Combine(_dir, "none.png"));
        Assert.Equal(2, code);
        Assert.Contains("embedded default model is not available yet", OneLine(output));
        Assert.False(File.Exists(Path.Combine(_dir, "none.png")));
    }

    [Fact]
    public void Same_seed_writes_the_same_image_and_info_prints_its_parameters()
    {
        string a = Path.Combine(_dir, "a.png"), b = Path.Combine(_dir, "b.png");
        foreach (var path in new[] { a, b })
        {
            var (code, output) = Sdxl("txt2img", "a red circle", "--checkpoint", _checkpoint, "--width", "32", "--height", "32",
                "--steps", "3", "--seed", "7", "--negative", "blurry", "--sampler", "euler", "--cfg", "5", "--out", path);
            Assert.True(code == 0, output);
        }
        using (var ia = PngImage.Read(a)) using (var ib = PngImage.Read(b)) Assert.True(ia.eq(ib).all().item<bool>());
        var (infoCode, info) = Sdxl("info", a);
        Assert.Equal(0, infoCode);
        Assert.StartsWith("a red circle\nNegative prompt: blurry\nSteps: 3, Sampler: euler, Schedule type: legacy_ddpm, CFG scale: 5, Seed: 7, Size: 32x32", info.Replace("\r", ""));
    }
}
