using Pipeline.Checkpoints;
using TorchSharp;
using Pipeline.Conditioning;
using Pipeline.Tests.Goldens;
using Pipeline.Tests.Models.TextEncoders;
using static TorchSharp.torch;

namespace Pipeline.Tests.Conditioning;

/// <summary>
/// SDXL-layout conditioners built from the tiny text-tower goldens (configs and weights read from the cases) and
/// batches made of the goldens' token ids and the <c>embeddings</c> case's size/crop/score inputs.
/// </summary>
public static class TinyConditioners
{
    public const string ClipCase = "clip_l_text_tiny";
    public const string OpenClipCase = "openclip_text_tiny";
    public const string EmbeddingsCase = "embeddings";

    /// <summary>Base layout: CLIP-L (hidden state Layers-1, the analogue of 11 of 12), OpenCLIP, original/crop/target sizes.</summary>
    public static GeneralConditioner Base(ScalarType? dtype = null)
    {
        using var clip = GoldenSet.Sgm.Open(ClipCase);
        using var open = GoldenSet.Sgm.Open(OpenClipCase);
        var clipConfig = TextGoldenConfigs.ClipL(clip.Json);
        var config = new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenCLIPEmbedderConfig(clipConfig, ClipLayer.Hidden, LayerIndex: clipConfig.Layers - 1),
            new FrozenOpenCLIPEmbedder2Config(TextGoldenConfigs.OpenClip(open.Json)),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.TargetSize),
        });
        var conditioner = new GeneralConditioner(config, new Device(DeviceType.META), dtype);
        LoadEmbedder(conditioner, 0, clip, "transformer.");
        LoadEmbedder(conditioner, 1, open, "model.");
        return conditioner;
    }

    /// <summary>Refiner layout: OpenCLIP at index 0, original size, crop, aesthetic score.</summary>
    public static GeneralConditioner Refiner()
    {
        using var open = GoldenSet.Sgm.Open(OpenClipCase);
        var config = new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenOpenCLIPEmbedder2Config(TextGoldenConfigs.OpenClip(open.Json)),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.AestheticScore),
        });
        var conditioner = new GeneralConditioner(config, new Device(DeviceType.META));
        LoadEmbedder(conditioner, 0, open, "model.");
        return conditioner;
    }

    /// <summary>Loads embedder <paramref name="index"/> from a case's weights, whatever embedder index the file's prefix names.</summary>
    static void LoadEmbedder(GeneralConditioner conditioner, int index, GoldenCase g, string field)
    {
        var prefix = TextGoldenConfigs.WeightsPrefix(g.Json);
        if (!prefix.EndsWith(field, StringComparison.Ordinal))
            throw new InvalidOperationException($"{g.Name}: weights prefix '{prefix}' does not end with the embedder field '{field}'");
        using var weights = g.OpenFile(TextGoldenConfigs.WeightsFile(g.Json));
        StateDictLoader.Load((nn.Module)conditioner.Embedders[index], weights, new LoadOptions(prefix[..^field.Length]));
    }

    /// <summary>One row per golden token row, with the embeddings case's size/crop/score values of the same row.</summary>
    public static IReadOnlyList<ConditionerInput> Batch(bool withClipL = true)
    {
        using var clip = GoldenSet.Sgm.Open(ClipCase);
        using var open = GoldenSet.Sgm.Open(OpenClipCase);
        using var emb = GoldenSet.Sgm.Open(EmbeddingsCase);
        var clipIds = Rows(clip["tokens"]);
        var openIds = Rows(open["tokens"]);
        var original = Pairs(emb["original_size_as_tuple"]);
        var crop = Pairs(emb["crop_coords_top_left"]);
        var target = Pairs(emb["target_size_as_tuple"]);
        using var aesthetic = emb["aesthetic_score"];
        var scores = aesthetic.data<float>().ToArray();
        return Enumerable.Range(0, openIds.Count).Select(b => new ConditionerInput(
            withClipL ? clipIds[b] : null, openIds[b],
            new ImageSize(original[b].A, original[b].B), new CropCoords(crop[b].A, crop[b].B),
            new ImageSize(target[b].A, target[b].B), scores[b])).ToList();
    }

    static List<int[]> Rows(Tensor t)
    {
        using (t)
        {
            var flat = t.data<long>().ToArray();
            int length = (int)t.shape[1];
            return Enumerable.Range(0, (int)t.shape[0]).Select(b => flat.Skip(b * length).Take(length).Select(v => (int)v).ToArray()).ToList();
        }
    }

    static List<(int A, int B)> Pairs(Tensor t)
    {
        using (t)
        {
            var flat = t.data<float>().ToArray();
            return Enumerable.Range(0, (int)t.shape[0]).Select(b => ((int)flat[2 * b], (int)flat[2 * b + 1])).ToList();
        }
    }
}
