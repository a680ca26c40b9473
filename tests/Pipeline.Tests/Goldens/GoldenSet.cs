using System.Text.Json;
using Pipeline.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Tests.Goldens;

/// <summary>
/// A folder of goldens produced by the original code (layout: index.json + NAME.json + NAME.safetensors).
/// The sgm set comes from <c>PIPELINE_GOLDENS</c> (default tests/reference/goldens), so another set with
/// the same layout runs unchanged.
/// </summary>
public sealed class GoldenSet
{
    public string Folder { get; }
    public IReadOnlyList<string> Cases { get; }

    GoldenSet(string folder)
    {
        Folder = folder;
        var indexPath = Path.Combine(folder, "index.json");
        if (!File.Exists(indexPath)) throw new FileNotFoundException($"golden index not found: {indexPath}");
        using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
        Cases = doc.RootElement.GetProperty("cases").EnumerateObject().Select(p => p.Name).ToList();
    }

    public static GoldenSet Sgm { get; } = new(RepositoryPaths.FromEnvironment("PIPELINE_GOLDENS", "tests/reference/goldens"));

    static readonly Lazy<GoldenSet> KDiffusionLazy = new(() =>
        new GoldenSet(RepositoryPaths.FromEnvironment("PIPELINE_KDIFFUSION_GOLDENS", "tests/reference/goldens-kdiffusion")));
    public static GoldenSet KDiffusion => KDiffusionLazy.Value;

    /// <summary>Case names starting with <paramref name="prefix"/> (xunit MemberData rows).</summary>
    public IEnumerable<object[]> CasesStartingWith(string prefix) =>
        Cases.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).Select(c => new object[] { c });

    public GoldenCase Open(string name)
    {
        if (!Cases.Contains(name)) throw new ArgumentException($"case '{name}' not in {Folder}/index.json; cases: {string.Join(", ", Cases)}");
        return new GoldenCase(name, Folder);
    }
}

/// <summary>One case: its JSON description and its tensors (optionally its weights file).</summary>
public sealed class GoldenCase : IDisposable
{
    readonly JsonDocument _json;
    public string Name { get; }
    public string Folder { get; }
    public JsonElement Json => _json.RootElement;
    public SafeTensorsFile Tensors { get; }

    internal GoldenCase(string name, string folder)
    {
        Name = name;
        Folder = folder;
        _json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, name + ".json")));
        Tensors = SafeTensorsFile.Open(Path.Combine(folder, name + ".safetensors"));
    }

    public Tensor this[string tensor] => Tensors.Read(tensor);
    public bool Has(string tensor) => Tensors.Contains(tensor);

    /// <summary>Opens a sibling file of this set, e.g. "unet_base_tiny.weights.safetensors".</summary>
    public SafeTensorsFile OpenFile(string fileName) => SafeTensorsFile.Open(Path.Combine(Folder, fileName));

    public void Dispose()
    {
        Tensors.Dispose();
        _json.Dispose();
    }
}
