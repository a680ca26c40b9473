using Pipeline.Models.Quantization;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>int8 Linear layers (fbgemm through TorchScript) on the golden tiny UNet: error against sgm's float32 output
/// next to bf16's, and the float path back after disposing.</summary>
public sealed class Int8LinearTests(ITestOutputHelper output)
{
    static GoldenCase BaseCase() => GoldenSet.Sgm.Open(GoldenSet.Sgm.Cases.First(c => c.StartsWith("unet_", StringComparison.Ordinal)));

    [Fact]
    public void Int8_linear_layers_stay_within_a_few_times_sgms_bf16_error_and_dispose_back_to_float()
    {
        using var g = BaseCase();
        var reference = ReducedPrecisionReference.Bf16ScaledError(g.Folder);
        using var unet = UNetParityTests.LoadModel(g);
        using var noGrad = no_grad();
        double Error()
        {
            using var scope = NewDisposeScope();
            return GoldenAssert.ScaledError(g["out"], unet.Forward(g["x"], g["timesteps"], g["context"], g["y"]));
        }
        double fp32 = Error();
        double int8;
        int layers;
        using (var q = Int8Linears.Apply(unet))
        {
            layers = q.Count;
            int8 = Error();
        }
        double back = Error();
        output.WriteLine($"tiny golden UNet, scaled error vs sgm float32: fp32 {fp32:E2}, int8 linears ({layers} layers) {int8:E2}, sgm's own bf16 autocast {reference.Error:E2}");
        Assert.True(layers > 10, $"{layers} Linear layers");
        Assert.True(int8 > fp32, "int8 made no difference: the layers were not replaced");
        Assert.Equal(fp32, back);
        Assert.True(int8 <= 5 * reference.Error, $"int8 error {int8:E2} is more than 5x sgm's bf16 error {reference.Error:E2}");
    }

    [Fact]
    public void The_model_switch_and_the_CLI_record_int8_and_refuse_it_twice()
    {
        using var model = Pipeline.Models.Bundles.SdxlModel.Create(Pipeline.Tests.Stages.TinyModels.Base);
        using (model.QuantizeLinears())
        {
            Assert.True(model.Int8Linears);
            Assert.Throws<InvalidOperationException>(() => model.QuantizeLinears());
            Assert.Equal("fp32+int8", Pipeline.Generation.PlanParameters.For(Pipeline.Tests.Generation.TinyPlans.TextToImage(model))[0].Extra!["Dtype"]);
        }
        Assert.False(model.Int8Linears);
        // Adapters are applied to the float weights the int8 copy no longer reads: refused, not silently ignored.
        using (var embedded = Pipeline.Models.Bundles.SdxlModel.Load(Pipeline.Models.Bundles.EmbeddedModels.Base!))
        using (embedded.QuantizeLinears())
        {
            var lora = Pipeline.Adapters.Adapter.Load(Path.Combine(Goldens.RepositoryPaths.Root, "models", "tiny-pink-lora.safetensors"), embedded);
            var plan = Pipeline.Tests.Generation.TinyPlans.TextToImage(embedded) with { Adapters = [new Pipeline.Adapters.AdapterUse(lora, 1, 1)] };
            Assert.Contains(plan.Problems(), p => p.Contains("run in int8"));
        }
        using var folder = new Pipeline.Tests.Cli.TinyCheckpointFolder(model);
        var (code, text) = Pipeline.Tests.Cli.CliHarness.Sdxl("txt2img", "a red circle", "--checkpoint", folder.Checkpoint, "--steps", "2", "--width", "32",
            "--height", "32", "--dtype", "int8", "--out", folder.PathOf("o.png"));
        Assert.True(code == Pipeline.Cli.ExitCodes.Ok, text);
        Assert.Contains("Dtype: fp32+int8", Pipeline.Imaging.PngTextChunks.Read(File.ReadAllBytes(folder.PathOf("o.png")))["parameters"]);
    }
}
