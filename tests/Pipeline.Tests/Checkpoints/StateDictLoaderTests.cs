using Pipeline.Checkpoints;
using Pipeline.Models.TextEncoders;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Checkpoints;

public class StateDictLoaderTests(ITestOutputHelper output) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("st-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static readonly Device Meta = new(DeviceType.META);

    static readonly ClipTextConfig Small = new(VocabSize: 64, Width: 16, Heads: 2, Layers: 2, MaxPositions: 77,
        IntermediateSize: 32, ProjectionDim: 8, Activation: ClipActivation.QuickGelu);

    /// <summary>Writes <paramref name="module"/>'s state under <paramref name="prefix"/>, each floating tensor stored as <paramref name="storage"/>.</summary>
    string Save(nn.Module module, string prefix, ScalarType? storage = null, Func<string, bool>? keep = null, string name = "w.safetensors")
    {
        var path = Path.Combine(_folder, name);
        using var scope = NewDisposeScope();
        var tensors = module.state_dict()
            .Where(kv => keep is null || keep(kv.Key))
            .Select(kv => new KeyValuePair<string, Tensor>(prefix + kv.Key,
                storage is { } s && is_floating_point(kv.Value) ? kv.Value.to(s) : kv.Value))
            .ToList();
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }

    [Fact]
    public void Strict_load_lists_every_missing_unexpected_and_misshaped_key_before_touching_the_model()
    {
        using var source = new ClipTextModel(Small);
        var path = Path.Combine(_folder, "bad.safetensors");
        using (var scope = NewDisposeScope())
        {
            var state = source.state_dict().ToDictionary(kv => "cond." + kv.Key, kv => kv.Value);
            state.Remove("cond.text_model.final_layer_norm.bias");
            state.Remove("cond.text_model.encoder.layers.1.mlp.fc2.weight");
            state["cond.text_model.encoder.layers.0.self_attn.q_proj.weight"] = zeros(16, 15);
            state["cond.text_model.encoder.layers.0.self_attn.q_proj.scale"] = ones(1);
            state["cond.logit_scale"] = ones(1);
            state["cond.text_model.embeddings.position_ids"] = arange(77).unsqueeze(0);
            state["other.weight"] = ones(2);
            SafeTensorsWriter.Write(path, state);
        }
        using var file = SafeTensorsFile.Open(path);
        using var target = new ClipTextModel(Small, Meta);
        var e = Assert.Throws<StateDictMismatchException>(() => StateDictLoader.Load(target, file, new LoadOptions("cond.")));
        Assert.Equal(new[] { "cond.text_model.encoder.layers.1.mlp.fc2.weight", "cond.text_model.final_layer_norm.bias" },
            e.Mismatch.Missing.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new[] { "cond.logit_scale", "cond.text_model.encoder.layers.0.self_attn.q_proj.scale" }, e.Mismatch.Unexpected);
        Assert.Equal(new[] { "cond.text_model.encoder.layers.0.self_attn.q_proj.weight (checkpoint [16, 15], model [16, 16])" }, e.Mismatch.Misshaped);
        Assert.Contains("missing (2)", e.Message);
        Assert.Contains("unexpected (2)", e.Message);
        Assert.Contains("mis-shaped (1)", e.Message);
        Assert.Contains(path, e.Message);
        Assert.All(target.state_dict().Values, t => Assert.Equal(DeviceType.META, t.device.type));
        output.WriteLine(e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float16, ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float32, ScalarType.BFloat16)]
    [InlineData(ScalarType.BFloat16, ScalarType.Float16)]
    [InlineData(ScalarType.Float16, ScalarType.BFloat16)]
    public void A_meta_model_is_materialised_from_any_storage_dtype_in_the_chosen_compute_dtype(ScalarType storage, ScalarType compute)
    {
        using var source = new OpenClipTextModel(Small with { Activation = ClipActivation.Gelu });
        var path = Save(source, "conditioner.embedders.1.model.", storage);
        using var file = SafeTensorsFile.Open(path);
        using var target = new OpenClipTextModel(Small with { Activation = ClipActivation.Gelu }, Meta);
        StateDictLoader.Load(target, file, new LoadOptions("conditioner.embedders.1.model.", CPU, compute));
        var expected = source.state_dict();
        foreach (var (name, actual) in target.state_dict())
        {
            Assert.Equal(DeviceType.CPU, actual.device.type);
            Assert.Equal(compute, actual.dtype);
            using var want = expected[name].to(storage).to(compute);
            Assert.True(actual.equal(want).all().item<bool>(), $"{name} differs from the {storage} value converted to {compute}");
        }
        using var tokens = zeros(1, 77, dtype: ScalarType.Int64);
        using var pooled = target.forward(tokens);
        Assert.Equal(compute, pooled.dtype);
    }

    [Fact]
    public void Missing_position_ids_are_regenerated_and_float_stored_ones_become_exact_int64()
    {
        using var source = new ClipTextModel(Small);
        var without = Save(source, "", ScalarType.Float16, keep: k => !k.EndsWith("position_ids"), name: "without.safetensors");
        var withF16 = Save(source, "", ScalarType.Float16, name: "f16.safetensors");
        foreach (var path in new[] { without, withF16 })
        {
            using var file = SafeTensorsFile.Open(path);
            using var target = new ClipTextModel(Small, Meta);
            StateDictLoader.Load(target, file, new LoadOptions(DType: ScalarType.Float32));
            var ids = target.state_dict()["text_model.embeddings.position_ids"];
            Assert.Equal(ScalarType.Int64, ids.dtype);
            Assert.Equal(new long[] { 1, 77 }, ids.shape);
            Assert.Equal(Enumerable.Range(0, 77).Select(i => (long)i), ids.data<long>().ToArray());
        }
    }

    [Fact]
    public void A_materialised_model_is_loaded_in_place_unless_another_dtype_is_asked()
    {
        using var source = new ClipTextModel(Small);
        var path = Save(source, "");
        using var file = SafeTensorsFile.Open(path);
        using var target = new ClipTextModel(Small);
        var weightBefore = target.state_dict()["text_model.final_layer_norm.weight"];
        StateDictLoader.Load(target, file);
        var weightAfter = target.state_dict()["text_model.final_layer_norm.weight"];
        Assert.Same(weightBefore, weightAfter);
        Assert.True(weightAfter.equal(source.state_dict()["text_model.final_layer_norm.weight"]).all().item<bool>());

        StateDictLoader.Load(target, file, new LoadOptions(DType: ScalarType.BFloat16));
        Assert.All(target.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.Equal(ScalarType.Int64, target.state_dict()["text_model.embeddings.position_ids"].dtype);
    }

    [Fact]
    public void Unsupported_compute_dtypes_are_refused_listing_the_valid_ones()
    {
        using var source = new ClipTextModel(Small);
        using var file = SafeTensorsFile.Open(Save(source, ""));
        using var target = new ClipTextModel(Small, Meta);
        var e = Assert.Throws<ArgumentException>(() => StateDictLoader.Load(target, file, new LoadOptions(DType: ScalarType.Int32)));
        Assert.Contains("Float32, BFloat16, Float16", e.Message);
    }

    /// <summary>Peak resident memory, reset by writing 5 to /proc/self/clear_refs (Linux).</summary>
    static long? PeakResidentBytes(bool reset)
    {
        try
        {
            if (reset) File.WriteAllText("/proc/self/clear_refs", "5");
            var line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception) { return null; }
    }

    static long ResidentBytes()
    {
        var line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    static extern int malloc_trim(nuint pad);

    [Fact]
    public void Loading_an_F16_file_into_fp32_peaks_at_the_model_plus_a_staging_piece()
    {
        if (!OperatingSystem.IsLinux()) return;
        var config = new ClipTextConfig(VocabSize: 8192, Width: 512, Heads: 8, Layers: 6, MaxPositions: 77,
            IntermediateSize: 2048, ProjectionDim: 512, Activation: ClipActivation.Gelu);
        string path;
        using (var source = new OpenClipTextModel(config)) path = Save(source, "", ScalarType.Float16, name: "big.safetensors");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        malloc_trim(0); // hand the generator's freed blocks back, so they cannot hide the load's own growth
        using var file = SafeTensorsFile.Open(path);
        long modelBytes = file.Entries.Values.Sum(e => e.ElementCount * 4);

        long baseline = ResidentBytes();
        if (PeakResidentBytes(reset: true) is null) { output.WriteLine("peak RSS cannot be reset here; skipped"); return; }
        using var target = new OpenClipTextModel(config, Meta);
        StateDictLoader.Load(target, file, new LoadOptions(DType: ScalarType.Float32));
        long peak = PeakResidentBytes(reset: false)!.Value - baseline;

        output.WriteLine($"fp32 model {modelBytes >> 20} MiB from a {new FileInfo(path).Length >> 20} MiB F16 file: peak RSS growth {peak >> 20} MiB ({(double)peak / modelBytes:F2}x)");
        // The upper bound is the property. (A lower bound is not: in a full test run the allocator can reuse pages that earlier
        // tests left resident, so the load may grow RSS by less than the model; that reuse cannot hide extra copies.)
        Assert.True(peak <= modelBytes + (32L << 20),
            $"peak RSS grew {peak >> 20} MiB for a {modelBytes >> 20} MiB model: more than the weights and a 16 MiB staging piece");
    }
}
