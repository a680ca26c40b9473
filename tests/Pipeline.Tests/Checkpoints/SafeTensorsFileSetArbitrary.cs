using FsCheck;
using FsCheck.Fluent;
using Pipeline.Checkpoints;

namespace Pipeline.Tests.Checkpoints;

/// <summary>A set of tensors with distinct names (any Unicode, dots, quotes, backslashes) and metadata: a valid safetensors file's content.</summary>
public sealed record SafeTensorsFileSet(IReadOnlyList<TensorSpec> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    public override string ToString() =>
        $"{Tensors.Count} tensors: {string.Join("; ", Tensors)}; metadata {string.Join(", ", Metadata.Select(kv => $"{kv.Key}={kv.Value}"))}";
}

/// <summary>Generates <see cref="SafeTensorsFileSet"/>s: 0–8 tensors of rank 0–4 with dims 0–6, every dtype.</summary>
public static class SafeTensorsFileSetArbitrary
{
    static readonly string[] NamePieces =
        { "a", "model", "diffusion_model", ".", ".", "0", "17", "_", "-", " ", "\"", "\\", "/", "ä", "名", "€", "😀", "\t", "weight" };

    static Gen<string> Text(int min, int max) =>
        from n in Gen.Choose(min, max)
        from pieces in Gen.ArrayOf(Gen.Elements(NamePieces), n)
        select string.Concat(pieces);

    static Gen<TensorSpec> Tensor(string name) =>
        from dtype in Gen.Elements(SafeTensorsDType.Names.ToArray())
        from rank in Gen.Choose(0, 4)
        from dims in Gen.ArrayOf(Gen.Choose(0, 6), rank)
        from seed in Gen.Choose(0, int.MaxValue)
        select new TensorSpec(name, dtype, dims.Select(d => (long)d).ToArray(), seed);

    public static Gen<SafeTensorsFileSet> Generator =>
        from count in Gen.Choose(0, 8)
        from names in Gen.ArrayOf(Text(1, 6), count)
        from tensors in Gen.CollectToList(names.Distinct().Where(n => n != "__metadata__").Select(Tensor))
        from m in Gen.Choose(0, 3)
        from keys in Gen.ArrayOf(Text(1, 4), m)
        from values in Gen.ArrayOf(Text(0, 5), m)
        select new SafeTensorsFileSet(tensors.ToList(),
            keys.Zip(values).DistinctBy(kv => kv.First).ToDictionary(kv => kv.First, kv => kv.Second));

    public static Arbitrary<SafeTensorsFileSet> FileSet() => Arb.From(Generator);
}
