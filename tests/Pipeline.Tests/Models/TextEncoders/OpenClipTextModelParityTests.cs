using Pipeline.Checkpoints;
using TorchSharp;
using Pipeline.Models.TextEncoders;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models.TextEncoders;

public class OpenClipTextModelParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-5;

    static OpenClipTextModel LoadTiny(GoldenCase g)
    {
        var model = new OpenClipTextModel(TextGoldenConfigs.OpenClip(g.Json), device: new Device(DeviceType.META));
        using var weights = g.OpenFile(TextGoldenConfigs.WeightsFile(g.Json));
        StateDictLoader.Load(model, weights, new LoadOptions(TextGoldenConfigs.WeightsPrefix(g.Json)));
        return model;
    }

    [Fact]
    public void Penultimate_pooled_and_every_intermediate_match_the_reference()
    {
        using var g = GoldenSet.Sgm.Open("openclip_text_tiny");
        using var model = LoadTiny(g);
        using var tokens = g["tokens"];
        using var result = model.Encode(tokens, intermediates: true);

        double worst = 0;
        void Check(string name, Tensor actual)
        {
            using var expected = g[name];
            var err = GoldenAssert.Close(expected, actual, Tolerance, name);
            output.WriteLine($"{name}: {err:E2}");
            worst = Math.Max(worst, err);
        }
        Check("embeddings", result.Embeddings!);
        Assert.Equal(model.Config.Layers, result.BlockOutputs!.Count);
        for (int k = 0; k < model.Config.Layers; k++) Check($"resblock_{k}_out", result.BlockOutputs[k]);
        Check("last", result.Last);
        Check("last_ln_final", result.LastLnFinal!);
        Check("penultimate", result.Penultimate);
        Check("pooled", result.Pooled);

        using var lean = model.Encode(tokens);
        Check("penultimate", lean.Penultimate);
        Check("pooled", lean.Pooled);
        output.WriteLine($"worst: {worst:E2} (tolerance {Tolerance:E0})");
    }

    [Fact]
    public void Forward_leaves_no_live_tensors()
    {
        using var g = GoldenSet.Sgm.Open("openclip_text_tiny");
        using var model = LoadTiny(g);
        using var tokens = g["tokens"];
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (no_grad())
        {
            model.forward(tokens).Dispose();
            model.Encode(tokens).Dispose();
            model.Encode(tokens, intermediates: true).Dispose();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
