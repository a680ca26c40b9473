using Pipeline.Checkpoints;
using TorchSharp;
using Pipeline.Models.TextEncoders;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models.TextEncoders;

public class ClipTextModelParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-5;

    static (ClipTextModel Model, ClipTextConfig Config) LoadTiny(GoldenCase g)
    {
        var config = TextGoldenConfigs.ClipL(g.Json);
        var model = new ClipTextModel(config, device: new Device(DeviceType.META));
        using var weights = g.OpenFile(TextGoldenConfigs.WeightsFile(g.Json));
        StateDictLoader.Load(model, weights, new LoadOptions(TextGoldenConfigs.WeightsPrefix(g.Json)));
        return (model, config);
    }

    [Fact]
    public void Every_hidden_state_last_state_pooled_and_projection_match_the_reference()
    {
        using var g = GoldenSet.Sgm.Open("clip_l_text_tiny");
        var (model, config) = LoadTiny(g);
        using var _ = model;
        using var tokens = g["tokens"];
        using var result = model.Encode(tokens, outputHiddenStates: true);

        Assert.Equal(config.Layers + 1, result.HiddenStates!.Count);
        double worst = 0;
        void Check(string name, Tensor actual)
        {
            using var expected = g[name];
            var err = GoldenAssert.Close(expected, actual, Tolerance, name);
            output.WriteLine($"{name}: {err:E2}");
            worst = Math.Max(worst, err);
        }
        for (int k = 0; k <= config.Layers; k++) Check($"hidden_states_{k}", result.HiddenStates[k]);
        Check("last_hidden_state", result.LastHiddenState);
        Check("pooler_output", result.PoolerOutput);

        using (var layerHidden = model.HiddenState(tokens, config.Layers - 1)) Check("layer_hidden", layerHidden);

        using var projection = g.OpenFile(g.Json.GetProperty("hf_projection_file").GetString()!);
        using var w = projection.Read("text_projection.weight");
        using var textEmbeds = nn.functional.linear(result.PoolerOutput, w);
        Check("text_embeds", textEmbeds);
        output.WriteLine($"worst: {worst:E2} (tolerance {Tolerance:E0})");
    }

    [Fact]
    public void Forward_leaves_no_live_tensors()
    {
        using var g = GoldenSet.Sgm.Open("clip_l_text_tiny");
        var (model, config) = LoadTiny(g);
        using var _ = model;
        using var tokens = g["tokens"];
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (no_grad())
        {
            model.forward(tokens).Dispose();
            model.HiddenState(tokens, config.Layers - 1).Dispose();
            model.Encode(tokens, outputHiddenStates: true).Dispose();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Token_ids_of_the_wrong_shape_or_type_are_refused_with_the_expected_shape()
    {
        var config = ClipTextConfig.ClipL with { Layers = 1, Width = 8, Heads = 2, IntermediateSize = 16, VocabSize = 10 };
        using var model = new ClipTextModel(config);
        using var shortIds = zeros(1, 5, dtype: ScalarType.Int64);
        Assert.Contains("[B, 77]", Assert.Throws<ArgumentException>(() => model.forward(shortIds)).Message);
        using var floats = zeros(1, 77);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.forward(floats)).Message);
        Assert.Contains("0..1", Assert.Throws<ArgumentOutOfRangeException>(() => model.HiddenState(zeros(1, 77, dtype: ScalarType.Int64), 2)).Message);
    }
}
