using Pipeline.Checkpoints;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>A temporary folder for synthetic adapter files, plus the helpers the adapter tests share.</summary>
sealed class AdapterScratch : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("pipeline-adapters-").FullName;

    /// <summary>Writes <paramref name="tensors"/> (as given, in their own dtypes) to <c>Dir/name.safetensors</c>.</summary>
    public string Write(string name, IEnumerable<(string Key, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var path = Path.Combine(Dir, name + ".safetensors");
        SafeTensorsWriter.Write(path, tensors.Select(t => new KeyValuePair<string, Tensor>(t.Key, t.Tensor)), metadata);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }

    public const string Unet = "model.diffusion_model.";
    public const string Te1 = "conditioner.embedders.0.transformer.";
    public const string Te2 = "conditioner.embedders.1.model.";

    /// <summary>The tiny base (small text encoders) with random weights.</summary>
    public static SdxlModel TinyBase(ScalarType dtype = ScalarType.Float32) => SdxlModel.Create(TinyModels.Base, dtype: dtype);

    /// <summary>Seeded normal factors, scaled so deltas are of the weights' order.</summary>
    public static Tensor Random(Generator g, params long[] shape) => randn(shape, generator: g).mul_(0.3);

    /// <summary>A float32 copy of a model tensor.</summary>
    public static Tensor Copy(SdxlModel model, string name) =>
        model.NamedTensors().Single(kv => kv.Key == name).Value.detach().to(ScalarType.Float32).clone();

    /// <summary>The raw bytes of every tensor of the model, by name (bit-for-bit comparisons).</summary>
    public static Dictionary<string, byte[]> Snapshot(SdxlModel model) =>
        model.NamedTensors().ToDictionary(kv => kv.Key, kv =>
        {
            using var scope = NewDisposeScope();
            return kv.Value.detach().cpu().contiguous().bytes.ToArray();
        });

    /// <summary>Names of the tensors whose bytes differ between two snapshots.</summary>
    public static List<string> Changed(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after) =>
        before.Keys.Where(k => !before[k].AsSpan().SequenceEqual(after[k])).OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>‖actual − expected‖ / ‖expected‖ in float64.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        return (actual.to(ScalarType.Float64) - e).norm().item<double>() / e.norm().item<double>();
    }
}
