using System.Text.Json;
using Pipeline.Cli;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Xunit;

namespace Pipeline.Tests.Cli;

/// <summary>The prompt language at the CLI edge: --style, --embeddings-dir, make-embedding, refusals before any model load.</summary>
public sealed class PromptLanguageCliTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "sdxl-prompt-cli-" + Guid.NewGuid().ToString("N"));
    readonly string _checkpoint;

    public PromptLanguageCliTests()
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

    static string OneLine(string s) => string.Join(" ", s.Split(new[] { ' ', '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Prompt_json_has_the_style_chunks_ids_and_weights()
    {
        var (code, output) = CliHarness.Sdxl("prompt", "a ((red:1.2)) [circle] <lora:shiny:0.8>", "--json");
        Assert.Equal(ExitCodes.Ok, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("a1111", root.GetProperty("style").GetString());
        var network = root.GetProperty("networks")[0];
        Assert.Equal("lora", network.GetProperty("kind").GetString());
        Assert.Equal("shiny", network.GetProperty("name").GetString());
        var chunk = root.GetProperty("clip_l").GetProperty("chunks")[0];
        Assert.Equal(77, chunk.GetProperty("ids").GetArrayLength());
        Assert.Equal(49406, chunk.GetProperty("ids")[0].GetInt32());
        Assert.Equal(1.2 * 1.1, chunk.GetProperty("weights")[2].GetDouble());
        Assert.Equal(1 / 1.1, chunk.GetProperty("weights")[3].GetDouble(), 15);
        Assert.Equal(0, root.GetProperty("clip_g").GetProperty("chunks")[0].GetProperty("ids")[76].GetInt32());

        (code, output) = CliHarness.Sdxl("prompt", "a ((red:1.2)) [circle]", "--json", "--style", "comfy");
        Assert.Equal(ExitCodes.Ok, code);
        using var comfy = JsonDocument.Parse(output);
        Assert.Equal("comfy", comfy.RootElement.GetProperty("style").GetString());
        Assert.Equal(1.2, comfy.RootElement.GetProperty("clip_l").GetProperty("chunks")[0].GetProperty("weights")[2].GetDouble());
    }

    [Fact]
    public void Unknown_styles_missing_folders_and_unknown_embeddings_are_refused_with_the_valid_options()
    {
        var (code, output) = CliHarness.Sdxl("prompt", "x", "--style", "invoke");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown prompt style 'invoke'; valid: a1111, comfy, sgm", OneLine(output));

        (code, output) = CliHarness.Sdxl("txt2img", "x", "--checkpoint", _checkpoint, "--embeddings-dir", Path.Combine(_dir, "nope"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--embeddings-dir: no such folder", OneLine(output));

        Directory.CreateDirectory(Path.Combine(_dir, "emb"));
        var png = Path.Combine(_dir, "never.png");
        (code, output) = CliHarness.Sdxl("txt2img", "a embedding:nothere cat", "--style", "comfy", "--checkpoint", _checkpoint,
            "--embeddings-dir", Path.Combine(_dir, "emb"), "--out", png);
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("no embedding named 'nothere'", OneLine(output));
        Assert.DoesNotContain("   at ", output);
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void Extra_network_tags_are_refused_not_dropped()
    {
        var png = Path.Combine(_dir, "lora.png");
        var (code, output) = CliHarness.Sdxl("txt2img", "a red circle <hypernet:shiny:0.8>", "--checkpoint", _checkpoint, "--out", png);
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("extra networks (<hypernet:shiny:0.8>) of a kind this library does not apply", OneLine(output));
        (code, output) = CliHarness.Sdxl("txt2img", "a red circle <lora:shiny:0.8>", "--checkpoint", _checkpoint, "--out", png);
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("the prompt names <lora:shiny:0.8>; give --lora-dir DIR", OneLine(output));
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void An_embedding_made_from_words_gives_the_image_of_those_words_and_is_recorded_in_the_PNG()
    {
        var embeddings = Path.Combine(_dir, "embeddings");
        var (code, output) = CliHarness.Sdxl("make-embedding", "redcircle", "--init", "red circle", "--checkpoint", _checkpoint, "--out-dir", embeddings);
        Assert.True(code == ExitCodes.Ok, output);
        Assert.Contains("2 vectors", output);
        (code, output) = CliHarness.Sdxl("make-embedding", "redcircle", "--init", "red circle", "--checkpoint", _checkpoint, "--out-dir", embeddings);
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("exists", output);

        string withEmbedding = Path.Combine(_dir, "e.png"), plain = Path.Combine(_dir, "p.png");
        string[] common = { "--checkpoint", _checkpoint, "--width", "32", "--height", "32", "--steps", "2", "--seed", "3", "--sampler", "euler" };
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a (redcircle:1.2) on a blue background BREAK blue", "--embeddings-dir", embeddings, "--out", withEmbedding }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, output);
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a (red circle:1.2) on a blue background BREAK blue", "--out", plain }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, output);
        Assert.Equal(PngPixels(plain), PngPixels(withEmbedding));
        var info = PngTextChunks.Read(File.ReadAllBytes(withEmbedding))["parameters"];
        Assert.Contains("Prompt style: a1111", info);
        Assert.Contains("Embeddings: redcircle", info);
    }

    static byte[] PngPixels(string path)
    {
        using var image = PngImage.Read(path);
        return image.data<float>().ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray();
    }
}
