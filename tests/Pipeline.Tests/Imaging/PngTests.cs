using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Imaging;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Imaging;

public class PngTests
{
    static GenerationParameters Sample(string prompt = "a red circle on a blue background", string negative = "blurry, text") =>
        new(prompt, negative, 25, "euler_ancestral", "karras", 2.0, 1234567890123, 64, 72, "tiny-sdxl", "0123abcd",
            new Dictionary<string, string> { ["Refiner"] = "none", ["Original size"] = "64x64" });

    [Fact]
    public void Parameters_survive_a_png_round_trip_and_the_pixels_too()
    {
        using var scope = NewDisposeScope();
        var image = rand(3, 72, 64, generator: new Generator(5));
        var path = Path.Combine(Path.GetTempPath(), $"sdxl-{Guid.NewGuid():N}.png");
        try
        {
            PngImage.WriteAtomically(path, PngImage.Encode(image, Sample()));
            Assert.Equal(Sample() with { Extra = null }, PngImage.ReadParameters(path)! with { Extra = null });
            Assert.Equal(Sample().Extra, PngImage.ReadParameters(path)!.Extra);
            var back = PngImage.Read(path);
            Assert.Equal(new long[] { 3, 72, 64 }, back.shape);
            Assert.True((back - image).abs().max().item<float>() <= 0.5f / 255 + 1e-6f, "8-bit quantisation only");
            Assert.StartsWith("a red circle on a blue background\nNegative prompt: blurry, text\nSteps: 25, Sampler: euler_ancestral",
                PngImage.ReadParametersText(path));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}*"));
        }
        finally { File.Delete(path); }
    }

    [Property(MaxTest = 100)]
    public Property Any_prompt_text_round_trips_through_the_parameters_chunk() =>
        Prop.ForAll(ArbMap.Default.ArbFor<NonNull<string>>(), ArbMap.Default.ArbFor<NonNull<string>>(), (p, n) =>
        {
            // Normalise what the A1111 layout cannot express: CR, trailing newlines, a prompt line that starts like the negative marker.
            string Clean(string v) => v.Replace("\r", "").TrimEnd('\n');
            var prompt = Clean(p.Get).Replace("Negative prompt: ", "Negative-prompt: ");
            var negative = Clean(n.Get);
            var parameters = Sample(prompt, negative) with { Extra = null };
            var png = PngTextChunks.Insert(MinimalPng(), PngImage.ParametersKeyword, parameters.ToA1111());
            var back = GenerationParameters.Parse(PngTextChunks.Read(png)[PngImage.ParametersKeyword]);
            return (back == parameters).Label($"{back} != {parameters}");
        });

    static byte[] MinimalPng()
    {
        using var scope = NewDisposeScope();
        return PngImage.Encode(zeros(3, 2, 2));
    }

    [Fact]
    public void Non_latin_text_goes_into_an_iTXt_chunk_and_reads_back()
    {
        var png = PngTextChunks.Insert(MinimalPng(), "parameters", "ein Kätzchen 猫 🐈");
        Assert.Equal("ein Kätzchen 猫 🐈", PngTextChunks.Read(png)["parameters"]);
    }

    [Fact]
    public void Missing_fields_are_named()
    {
        var ex = Assert.Throws<FormatException>(() => GenerationParameters.Parse("a prompt\nSteps: 20, Sampler: euler"));
        Assert.Contains("lack 'Size'", ex.Message);
        Assert.Contains("found: Steps, Sampler", ex.Message);
    }
}
