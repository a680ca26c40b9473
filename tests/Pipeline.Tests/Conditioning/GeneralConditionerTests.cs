using Pipeline.Conditioning;
using Pipeline.Tests.Goldens;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Conditioning;

public class GeneralConditionerTests(ITestOutputHelper output)
{
    const double TextTolerance = 1e-5;
    const double EmbeddingTolerance = 2e-4;

    double Check(GoldenCase g, string name, Tensor actual, double tolerance)
    {
        using var expected = g[name];
        var err = GoldenAssert.Close(expected, actual, tolerance, $"{g.Name}/{name}");
        output.WriteLine($"{g.Name}/{name}: {err:E2} (tolerance {tolerance:E0})");
        return err;
    }

    [Fact]
    public void Base_layout_concatenates_clip_hidden_and_openclip_penultimate_then_pooled_and_size_embeddings()
    {
        using var conditioner = TinyConditioners.Base();
        var batch = TinyConditioners.Batch();
        using var clip = GoldenSet.Sgm.Open(TinyConditioners.ClipCase);
        using var open = GoldenSet.Sgm.Open(TinyConditioners.OpenClipCase);
        using var emb = GoldenSet.Sgm.Open(TinyConditioners.EmbeddingsCase);
        var c = conditioner.Forward(batch);
        try
        {
            long clipWidth = conditioner.Embedders[0].OutputWidths[0];
            long pooledWidth = conditioner.Embedders[1].OutputWidths[1];
            Assert.Null(c.Concat);
            Assert.Equal(new long[] { batch.Count, 77, conditioner.Width(ConditioningKind.CrossAttn) }, c.CrossAttn!.shape);
            Assert.Equal(new long[] { batch.Count, conditioner.Width(ConditioningKind.Vector) }, c.Vector!.shape);
            Check(clip, "layer_hidden", c.CrossAttn.narrow(2, 0, clipWidth), TextTolerance);
            Check(open, "penultimate", c.CrossAttn.narrow(2, clipWidth, c.CrossAttn.shape[2] - clipWidth), TextTolerance);
            Check(open, "pooled", c.Vector.narrow(1, 0, pooledWidth), TextTolerance);
            Check(emb, "base_vector_tail", c.Vector.narrow(1, pooledWidth, c.Vector.shape[1] - pooledWidth), EmbeddingTolerance);
        }
        finally { Dispose(c); }
    }

    [Fact]
    public void Refiner_layout_uses_openclip_alone_and_the_aesthetic_score()
    {
        using var conditioner = TinyConditioners.Refiner();
        var batch = TinyConditioners.Batch(withClipL: false);
        using var open = GoldenSet.Sgm.Open(TinyConditioners.OpenClipCase);
        using var emb = GoldenSet.Sgm.Open(TinyConditioners.EmbeddingsCase);
        var c = conditioner.Forward(batch);
        try
        {
            long pooledWidth = conditioner.Embedders[0].OutputWidths[1];
            Check(open, "penultimate", c.CrossAttn!, TextTolerance);
            Check(open, "pooled", c.Vector!.narrow(1, 0, pooledWidth), TextTolerance);
            Check(emb, "refiner_vector_tail", c.Vector.narrow(1, pooledWidth, c.Vector.shape[1] - pooledWidth), EmbeddingTolerance);
        }
        finally { Dispose(c); }
    }

    [Fact]
    public void Forcing_txt_to_zero_zeroes_both_text_encoders_and_pooled_but_keeps_the_branch_own_size_embeddings()
    {
        using var conditioner = TinyConditioners.Refiner();
        var batch = TinyConditioners.Batch(withClipL: false);
        // The unconditional branch has its own values: here every row gets the negative aesthetic score.
        var uncondRows = batch.Select(r => r with { AestheticScore = ConditionerInput.DefaultNegativeAestheticScore }).ToList();
        var (c, uc) = conditioner.GetUnconditionalConditioning(batch, uncondRows, forceUncondZeroEmbeddings: new[] { EmbedderKeys.Text });
        try
        {
            long pooledWidth = conditioner.Embedders[0].OutputWidths[1];
            Assert.Equal(0.0, uc.CrossAttn!.abs().max().item<float>());
            Assert.Equal(0.0, uc.Vector!.narrow(1, 0, pooledWidth).abs().max().item<float>());
            Assert.True(c.CrossAttn!.abs().max().item<float>() > 0);
            var tailWidth = uc.Vector.shape[1] - pooledWidth;
            var plain = conditioner.Forward(uncondRows);
            try
            {
                using var expectedTail = plain.Vector!.narrow(1, pooledWidth, tailWidth);
                Assert.True(uc.Vector.narrow(1, pooledWidth, tailWidth).equal(expectedTail).all().item<bool>());
            }
            finally { Dispose(plain); }
            // The aesthetic part differs between branches; original size and crop parts agree.
            using var aestheticC = c.Vector!.narrow(1, c.Vector.shape[1] - 256, 256);
            using var aestheticUc = uc.Vector.narrow(1, uc.Vector.shape[1] - 256, 256);
            Assert.False(aestheticC.equal(aestheticUc).all().item<bool>());
        }
        finally { Dispose(c); Dispose(uc); }
    }

    [Fact]
    public void Ucg_dropout_zeroes_whole_rows_per_output_and_replays_with_the_same_seed()
    {
        using var g = GoldenSet.Sgm.Open(TinyConditioners.OpenClipCase);
        var text = Pipeline.Tests.Models.TextEncoders.TextGoldenConfigs.OpenClip(g.Json);
        var config = new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenOpenCLIPEmbedder2Config(text, UcgRate: 0.5),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.AestheticScore, UcgRate: 1.0),
        });
        using var conditioner = new GeneralConditioner(config);
        var rows = TinyConditioners.Batch(withClipL: false);
        var batch = Enumerable.Range(0, 8).SelectMany(_ => rows).ToList();
        var reference = conditioner.Forward(batch);
        var first = conditioner.Forward(batch, ucgGenerator: new Generator(7));
        var again = conditioner.Forward(batch, ucgGenerator: new Generator(7));
        try
        {
            long pooledWidth = text.ProjectionDim;
            int dropped = 0;
            for (int b = 0; b < batch.Count; b++)
            {
                using var row = first.CrossAttn![b];
                bool zero = row.abs().max().item<float>() == 0;
                dropped += zero ? 1 : 0;
                if (!zero) Assert.True(row.equal(reference.CrossAttn![b]).all().item<bool>(), $"row {b} kept but changed");
            }
            Assert.InRange(dropped, 1, batch.Count - 1);
            // Rate 1 always drops the aesthetic embedding.
            Assert.Equal(0.0, first.Vector!.narrow(1, pooledWidth, 256).abs().max().item<float>());
            Assert.True(first.CrossAttn!.equal(again.CrossAttn!).all().item<bool>());
            Assert.True(first.Vector.equal(again.Vector!).all().item<bool>());
            output.WriteLine($"rate 0.5: {dropped} of {batch.Count} crossattn rows dropped");
        }
        finally { Dispose(reference); Dispose(first); Dispose(again); }
    }

    [Fact]
    public void Forward_leaves_no_live_tensors()
    {
        using var conditioner = TinyConditioners.Base();
        var batch = TinyConditioners.Batch();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Dispose(conditioner.Forward(batch));
        Dispose(conditioner.Forward(batch, new[] { EmbedderKeys.Text }, new Generator(1)));
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_problem_and_the_valid_options()
    {
        using var conditioner = TinyConditioners.Base();
        var batch = TinyConditioners.Batch();
        var noClip = batch.Select(r => r with { ClipLTokens = null }).ToList();
        Assert.Contains("ClipLTokens is missing", Assert.Throws<ArgumentException>(() => conditioner.Forward(noClip)).Message);
        var shortIds = batch.Select(r => r with { OpenClipTokens = r.OpenClipTokens![..10] }).ToList();
        Assert.Contains("exactly 77", Assert.Throws<ArgumentException>(() => conditioner.Forward(shortIds)).Message);
        var badSize = batch.Select(r => r with { OriginalSize = new ImageSize(0, 1024) }).ToList();
        Assert.Contains("original size", Assert.Throws<ArgumentException>(() => conditioner.Forward(badSize)).Message);
        var e = Assert.Throws<ArgumentException>(() => conditioner.Forward(batch, new[] { "text" }));
        Assert.Contains("valid: txt, original_size_as_tuple", e.Message);
        Assert.Throws<ArgumentException>(() => conditioner.Forward(Array.Empty<ConditionerInput>()));
    }

    [Fact]
    public void Loading_into_bf16_gives_bf16_text_parts_close_to_the_fp32_reference()
    {
        using var conditioner = TinyConditioners.Base(ScalarType.BFloat16);
        var batch = TinyConditioners.Batch();
        using var clip = GoldenSet.Sgm.Open(TinyConditioners.ClipCase);
        var c = conditioner.Forward(batch);
        try
        {
            Assert.Equal(ScalarType.BFloat16, c.CrossAttn!.dtype);
            output.WriteLine($"vector dtype: {c.Vector!.dtype}");
            long clipWidth = conditioner.Embedders[0].OutputWidths[0];
            Check(clip, "layer_hidden", c.CrossAttn.narrow(2, 0, clipWidth), 5e-2);
        }
        finally { Dispose(c); }
    }

    [Fact]
    public void A_single_file_checkpoint_loads_the_whole_conditioner_under_conditioner_prefix_frozen()
    {
        using var reference = TinyConditioners.Base();
        var path = Path.Combine(Path.GetTempPath(), $"tiny-sdxl-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var scope = NewDisposeScope())
            {
                var tensors = reference.state_dict()
                    .Where(kv => !kv.Key.EndsWith("position_ids"))          // other exports drop it
                    .Select(kv => new KeyValuePair<string, Tensor>("conditioner." + kv.Key, kv.Value.to(ScalarType.Float16)))
                    .Append(new("model.diffusion_model.out.2.bias", zeros(4)))  // the rest of a single-file checkpoint
                    .Append(new("first_stage_model.decoder.conv_out.bias", zeros(3)));
                Pipeline.Checkpoints.SafeTensorsWriter.Write(path, tensors);
            }
            using var conditioner = new GeneralConditioner(new ConditionerConfig(reference.Embedders.Select(e => e switch
            {
                FrozenCLIPEmbedder c => (EmbedderConfig)c.Config,
                FrozenOpenCLIPEmbedder2 o => o.Config,
                ConcatTimestepEmbedderND t => t.Config,
                _ => throw new InvalidOperationException(),
            }).ToList()), new Device(DeviceType.META));
            using (var file = Pipeline.Checkpoints.SafeTensorsFile.Open(path))
                Pipeline.Checkpoints.StateDictLoader.Load(conditioner, file, new Pipeline.Checkpoints.LoadOptions("conditioner.", DType: ScalarType.Float32));
            Assert.All(conditioner.parameters(), p => Assert.False(p.requires_grad));
            var batch = TinyConditioners.Batch();
            var expected = reference.Forward(batch);
            var actual = conditioner.Forward(batch);
            try
            {
                // F16 storage rounds the weights; the outputs stay close to the fp32 ones.
                Assert.True(GoldenAssert.ScaledError(expected.CrossAttn!, actual.CrossAttn!) < 1e-2);
                Assert.True(GoldenAssert.ScaledError(expected.Vector!, actual.Vector!) < 1e-2);
            }
            finally { Dispose(expected); Dispose(actual); }
        }
        finally { File.Delete(path); }
    }

    static void Dispose(Cond c)
    {
        c.CrossAttn?.Dispose();
        c.Vector?.Dispose();
        c.Concat?.Dispose();
    }
}
