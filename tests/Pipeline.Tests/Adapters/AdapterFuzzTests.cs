using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Fuzzing;
using Pipeline.Tests.Stages;
using Xunit;
using static Pipeline.Tests.Adapters.AdapterScratch;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>
/// Malformed adapters (wrong shapes, rank mismatch, non-finite or misshapen alpha, missing halves, mixed formats,
/// integer or empty factors, garbage keys, bad metadata) fail with <see cref="ArgumentException"/> naming the key, never
/// another exception type; seeded random mutations of valid adapters either load (and then merge and restore) or fail so.
/// </summary>
public class AdapterFuzzTests : IDisposable
{
    readonly AdapterScratch _files = new();
    static readonly Lazy<AdapterTargetIndex> Index = new(() => AdapterTargetIndex.For(TinyModels.Base));

    public void Dispose() => _files.Dispose();

    const string Q = "lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_q";   // Linear [64, 64], no bias
    const string C = "lora_unet_input_blocks_1_0_in_layers_2";                       // Conv [32, 32, 3, 3]

    static Tensor Z(params long[] shape) => zeros(shape);

    public static IEnumerable<object[]> Cases =>
    [
        ["rank mismatch", Q + ".lora_up.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Float32), (Q + ".lora_up.weight", [64, 3], ScalarType.Float32) }],
        ["wrong in-features", Q + ".lora_down.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 65], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4], ScalarType.Float32) }],
        ["wrong out-features", Q + ".lora_up.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Float32), (Q + ".lora_up.weight", [63, 4], ScalarType.Float32) }],
        ["conv kernel on a linear", Q + ".lora_down.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64, 3, 3], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4, 1, 1], ScalarType.Float32) }],
        ["3x3 up", C + ".lora_up.weight", new (string, long[], ScalarType)[] { (C + ".lora_down.weight", [4, 32, 3, 3], ScalarType.Float32), (C + ".lora_up.weight", [32, 4, 3, 3], ScalarType.Float32) }],
        ["3-D down", C + ".lora_down.weight", new (string, long[], ScalarType)[] { (C + ".lora_down.weight", [4, 32, 9], ScalarType.Float32), (C + ".lora_up.weight", [32, 4], ScalarType.Float32) }],
        ["down only", Q + ".lora_down.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Float32) }],
        ["up only", Q + ".lora_up.weight", new (string, long[], ScalarType)[] { (Q + ".lora_up.weight", [64, 4], ScalarType.Float32), (Q + ".alpha", [], ScalarType.Float32) }],
        ["alpha only", Q + ".alpha", new (string, long[], ScalarType)[] { (Q + ".alpha", [], ScalarType.Float32) }],
        ["alpha of two numbers", Q + ".alpha", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4], ScalarType.Float32), (Q + ".alpha", [2], ScalarType.Float32) }],
        ["integer factor", Q + ".lora_down.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Int32), (Q + ".lora_up.weight", [64, 4], ScalarType.Float32) }],
        ["bool factor", Q + ".lora_up.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4], ScalarType.Bool) }],
        ["0-dim factor", Q + ".lora_down.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4], ScalarType.Float32) }],
        ["empty factor", Q + ".lora_down.weight", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [0, 64], ScalarType.Float32), (Q + ".lora_up.weight", [64, 0], ScalarType.Float32) }],
        ["mixed LoRA and LoHa", Q + ".hada_w1_a", new (string, long[], ScalarType)[] { (Q + ".lora_down.weight", [4, 64], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4], ScalarType.Float32), (Q + ".hada_w1_a", [64, 4], ScalarType.Float32) }],
        ["LoHa missing w2", Q + ".hada_w1_a", new (string, long[], ScalarType)[] { (Q + ".hada_w1_a", [64, 4], ScalarType.Float32), (Q + ".hada_w1_b", [4, 64], ScalarType.Float32) }],
        ["LoHa rank mismatch", Q + ".hada_w2_b", new (string, long[], ScalarType)[] { (Q + ".hada_w1_a", [64, 4], ScalarType.Float32), (Q + ".hada_w1_b", [4, 64], ScalarType.Float32), (Q + ".hada_w2_a", [64, 4], ScalarType.Float32), (Q + ".hada_w2_b", [3, 64], ScalarType.Float32) }],
        ["LoHa one Tucker core", C + ".hada_t1", new (string, long[], ScalarType)[] { (C + ".hada_t1", [2, 2, 3, 3], ScalarType.Float32), (C + ".hada_w1_a", [2, 32], ScalarType.Float32), (C + ".hada_w1_b", [2, 32], ScalarType.Float32), (C + ".hada_w2_a", [2, 32], ScalarType.Float32), (C + ".hada_w2_b", [2, 32], ScalarType.Float32) }],
        ["LoKr w1 only", Q + ".lokr_w1", new (string, long[], ScalarType)[] { (Q + ".lokr_w1", [8, 8], ScalarType.Float32) }],
        ["LoKr w1 whole and halves", Q + ".lokr_w1", new (string, long[], ScalarType)[] { (Q + ".lokr_w1", [8, 8], ScalarType.Float32), (Q + ".lokr_w1_a", [8, 2], ScalarType.Float32), (Q + ".lokr_w1_b", [2, 8], ScalarType.Float32), (Q + ".lokr_w2", [8, 8], ScalarType.Float32) }],
        ["LoKr wrong product", Q + ".lokr_w2", new (string, long[], ScalarType)[] { (Q + ".lokr_w1", [8, 8], ScalarType.Float32), (Q + ".lokr_w2", [8, 7], ScalarType.Float32) }],
        ["LoKr Tucker without w2_b", C + ".lokr_t2", new (string, long[], ScalarType)[] { (C + ".lokr_w1", [4, 4], ScalarType.Float32), (C + ".lokr_t2", [2, 2, 3, 3], ScalarType.Float32), (C + ".lokr_w2_a", [2, 8], ScalarType.Float32) }],
        ["full diff of the wrong shape", Q + ".diff", new (string, long[], ScalarType)[] { (Q + ".diff", [64, 32], ScalarType.Float32) }],
        ["bias diff where there is no bias", Q + ".diff_b", new (string, long[], ScalarType)[] { (Q + ".diff", [64, 64], ScalarType.Float32), (Q + ".diff_b", [64], ScalarType.Float32) }],
        ["two down tensors", "unet.down_blocks.1.attentions.0.proj_in.lora_A.weight", new (string, long[], ScalarType)[] { ("unet.down_blocks.1.attentions.0.proj_in.lora_A.weight", [2, 64], ScalarType.Float32), ("unet.down_blocks.1.attentions.0.proj_in.lora.down.weight", [2, 64], ScalarType.Float32), ("unet.down_blocks.1.attentions.0.proj_in.lora_B.weight", [64, 2], ScalarType.Float32) }],
        ["fused q of the wrong width", "lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", new (string, long[], ScalarType)[] { ("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", [2, 32], ScalarType.Float32), ("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", [96, 2], ScalarType.Float32) }],
        ["garbage only", "weights.0", new (string, long[], ScalarType)[] { ("weights.0", [3], ScalarType.Float32), ("lora_unet_nothing_here.lora_down.weight", [1, 4], ScalarType.Float32), ("lora_unet_nothing_here.lora_up.weight", [4, 1], ScalarType.Float32) }],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_adapters_fail_with_ArgumentException_naming_the_key(string name, string key, (string Key, long[] Shape, ScalarType DType)[] tensors)
    {
        using var scope = NewDisposeScope();
        var path = _files.Write("case", tensors.Select(t => (t.Key, zeros(t.Shape, t.DType))));
        var e = Assert.Throws<ArgumentException>(() => Adapter.Load(path, Index.Value));
        Assert.True(e.Message.Contains(key, StringComparison.Ordinal), $"{name}: '{e.Message}' does not name '{key}'");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void A_non_finite_alpha_is_refused_naming_its_key(float alpha)
    {
        using var scope = NewDisposeScope();
        var path = _files.Write("alpha", [(Q + ".lora_down.weight", Z(4, 64)), (Q + ".lora_up.weight", Z(64, 4)), (Q + ".alpha", tensor(alpha))]);
        Assert.Contains(Q + ".alpha", Assert.Throws<ArgumentException>(() => Adapter.Load(path, Index.Value)).Message);
    }

    [Fact]
    public void An_integer_alpha_as_diffusers_kohya_export_writes_it_is_read()
    {
        using var scope = NewDisposeScope();
        var path = _files.Write("int-alpha", [(Q + ".lora_down.weight", Z(4, 64)), (Q + ".lora_up.weight", Z(64, 4)), (Q + ".alpha", tensor(8L))]);
        Assert.Equal(2.0, Adapter.Load(path, Index.Value).Modules.Single().Delta.Scale);
    }

    [Fact]
    public void An_empty_file_and_bad_PEFT_metadata_are_refused()
    {
        using var scope = NewDisposeScope();
        var empty = _files.Write("empty", []);
        Assert.Contains("no tensors", Assert.Throws<ArgumentException>(() => Adapter.Load(empty, Index.Value)).Message);
        var meta = _files.Write("meta", [("unet.down_blocks.1.attentions.0.proj_in.lora_A.weight", Z(2, 64)), ("unet.down_blocks.1.attentions.0.proj_in.lora_B.weight", Z(64, 2))],
            new Dictionary<string, string> { [PeftAlphas.MetadataKey] = """{"unet.lora_alpha": "eight"}""" });
        Assert.Contains(PeftAlphas.MetadataKey, Assert.Throws<ArgumentException>(() => Adapter.Load(meta, Index.Value)).Message);
    }

    [Fact]
    public void A_non_finite_factor_fails_the_merge_naming_the_module_and_leaves_the_model_unchanged()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        var down = Z(4, 64);
        down[0, 0] = tensor(float.NaN);
        var path = _files.Write("nan", [(Q + ".lora_down.weight", down), (Q + ".lora_up.weight", Z(64, 4).add_(1)),
            ("lora_unet_input_blocks_3_1_proj_in.lora_down.weight", Z(2, 64).add_(1)), ("lora_unet_input_blocks_3_1_proj_in.lora_up.weight", Z(64, 2).add_(1))]);
        var adapter = Adapter.Load(path, model);
        var before = Snapshot(model);
        Assert.Contains(Q, Assert.Throws<ArgumentException>(() => AdapterMerge.Apply(model, adapter, 1.0)).Message);
        Assert.Empty(Changed(before, Snapshot(model)));
        using (AdapterMerge.Apply(model, adapter, 0.0)) { } // the model is not left marked as merged
    }

    /// <summary>A valid adapter on the tiny base with one module of each family; mutations start from it.</summary>
    static List<(string Key, long[] Shape, ScalarType DType)> Template() =>
    [
        (Q + ".lora_down.weight", [4, 64], ScalarType.Float32), (Q + ".lora_up.weight", [64, 4], ScalarType.Float16), (Q + ".alpha", [], ScalarType.Float32),
        (C + ".lora_down.weight", [2, 32, 3, 3], ScalarType.Float32), (C + ".lora_up.weight", [32, 2, 1, 1], ScalarType.Float32),
        ("lora_unet_input_blocks_3_1_proj_out.hada_w1_a", [64, 2], ScalarType.Float32), ("lora_unet_input_blocks_3_1_proj_out.hada_w1_b", [2, 64], ScalarType.Float32),
        ("lora_unet_input_blocks_3_1_proj_out.hada_w2_a", [64, 2], ScalarType.Float32), ("lora_unet_input_blocks_3_1_proj_out.hada_w2_b", [2, 64], ScalarType.Float32),
        ("lora_unet_input_blocks_3_1_proj_in.lokr_w1", [8, 8], ScalarType.BFloat16), ("lora_unet_input_blocks_3_1_proj_in.lokr_w2_a", [8, 2], ScalarType.Float32),
        ("lora_unet_input_blocks_3_1_proj_in.lokr_w2_b", [2, 8], ScalarType.Float32), ("lora_unet_input_blocks_3_1_proj_in.alpha", [], ScalarType.Float32),
        ("lora_te2_text_model_encoder_layers_1_self_attn_v_proj.lora_down.weight", [2, 32], ScalarType.Float32),
        ("lora_te2_text_model_encoder_layers_1_self_attn_v_proj.lora_up.weight", [32, 2], ScalarType.Float32),
        ("text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_A.weight", [2, 16], ScalarType.Float32),
        ("text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_B.weight", [32, 2], ScalarType.Float32),
        ("lora_unet_input_blocks_3_1_transformer_blocks_0_attn2_to_k.diff", [64, 48], ScalarType.Float32),
    ];

    static readonly string[] Suffixes = AdapterKeyName.Suffixes.Select(s => s.Suffix).Concat([".weight", ".lora_down", "", ".", ".alpha.alpha"]).ToArray();
    static readonly ScalarType[] DTypes = [ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float64, ScalarType.Int64, ScalarType.Int8, ScalarType.Bool];

    static List<(string Key, long[] Shape, ScalarType DType)> Mutate(Random rng)
    {
        var tensors = Template();
        int mutations = rng.Next(1, 4);
        for (int m = 0; m < mutations && tensors.Count > 0; m++)
        {
            int i = rng.Next(tensors.Count);
            var (key, shape, dtype) = tensors[i];
            switch (rng.Next(8))
            {
                case 0: tensors.RemoveAt(i); break;
                case 1: // change one dimension
                    if (shape.Length > 0)
                    {
                        var s = shape.ToArray();
                        s[rng.Next(s.Length)] = rng.Next(0, 70);
                        tensors[i] = (key, s, dtype);
                    }
                    break;
                case 2: tensors[i] = (key, shape.Append(rng.Next(1, 3)).ToArray(), dtype); break;
                case 3: tensors[i] = (key, shape.Length > 0 ? shape[..^1] : [], dtype); break;
                case 4: tensors[i] = (key, shape, DTypes[rng.Next(DTypes.Length)]); break;
                case 5: // another suffix on the same module
                {
                    int dot = key.IndexOf('.', key.StartsWith("lora_", StringComparison.Ordinal) ? 0 : key.IndexOf(".text_model", StringComparison.Ordinal) + 1);
                    var module = dot > 0 ? key[..dot] : key;
                    tensors[i] = (module + Suffixes[rng.Next(Suffixes.Length)], shape, dtype);
                    break;
                }
                case 6: tensors.Add(($"lora_unet_{Guid.NewGuid():N}"[..(12 + rng.Next(20))] + Suffixes[rng.Next(Suffixes.Length)], [rng.Next(1, 5)], ScalarType.Float32)); break;
                default: tensors[i] = (key.Replace("_3_1_", "_" + rng.Next(0, 9) + "_" + rng.Next(0, 3) + "_"), shape, dtype); break;
            }
        }
        return tensors.GroupBy(t => t.Key).Select(g => g.First()).ToList();
    }

    [Fact]
    public void Random_mutations_of_valid_adapters_load_or_fail_with_ArgumentException_naming_a_key()
    {
        using var model = TinyBase();
        var before = Snapshot(model);
        FuzzRun.Cases(60, TimeSpan.FromSeconds(30), seed =>
        {
            var rng = new Random(seed);
            var tensors = Mutate(rng);
            string path;
            using (var scope = NewDisposeScope())
                path = _files.Write($"fuzz-{seed}", tensors.Select(t => (t.Key, (rng.Next(4) == 0 ? full(t.Shape, float.NaN) : randn(t.Shape)).to(t.DType))));
            Adapter adapter;
            try { adapter = Adapter.Load(path, model); }
            catch (ArgumentException e)
            {
                Assert.True(tensors.Any(t => e.Message.Contains(t.Key, StringComparison.Ordinal)), $"seed {seed}: '{e.Message}' names no key of the file");
                return;
            }
            Assert.Equal(tensors.Count, adapter.Report.Keys.Count);
            try
            {
                using (AdapterMerge.Apply(model, adapter, 0.5)) { }
            }
            catch (ArgumentException e)
            {
                Assert.Contains("NaN or infinite", e.Message);
            }
            Assert.Empty(Changed(before, Snapshot(model)));
        });
    }
}
