using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>What a strict load found wrong, every key listed.</summary>
public sealed record StateDictMismatch(
    IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Misshaped)
{
    public bool IsEmpty => Missing.Count == 0 && Unexpected.Count == 0 && Misshaped.Count == 0;

    public override string ToString() =>
        string.Join("\n", new[]
        {
            Missing.Count > 0 ? $"missing ({Missing.Count}): {string.Join(", ", Missing)}" : null,
            Unexpected.Count > 0 ? $"unexpected ({Unexpected.Count}): {string.Join(", ", Unexpected)}" : null,
            Misshaped.Count > 0 ? $"mis-shaped ({Misshaped.Count}): {string.Join(", ", Misshaped)}" : null,
        }.Where(s => s is not null));
}

/// <summary>Raised by a strict load; the message lists every missing, unexpected and mis-shaped key.</summary>
public sealed class StateDictMismatchException(string source, StateDictMismatch mismatch)
    : Exception($"{source}: checkpoint does not match the model\n{mismatch}")
{
    public StateDictMismatch Mismatch { get; } = mismatch;
}

/// <summary>
/// Copies tensors from a safetensors file into a module's parameters and buffers, one tensor at a time
/// (read → convert to the parameter's dtype/device → copy → release), under keys <c>prefix + name</c>.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Keys real checkpoints carry that no module needs (e.g. transformers' <c>position_ids</c>).</summary>
    public static readonly IReadOnlyList<string> KnownExtraSuffixes = new[] { "position_ids" };

    /// <summary>Compares module keys/shapes with the file's entries under <paramref name="prefix"/>.</summary>
    public static StateDictMismatch Compare(nn.Module module, SafeTensorsFile file, string prefix,
        Func<string, bool>? ignoreUnexpected = null)
    {
        var expected = module.state_dict();
        var missing = new List<string>();
        var misshaped = new List<string>();
        foreach (var (name, tensor) in expected)
        {
            var key = prefix + name;
            if (!file.Entries.TryGetValue(key, out var entry)) { missing.Add(key); continue; }
            if (!entry.Shape.SequenceEqual(tensor.shape))
                misshaped.Add($"{key} (checkpoint [{string.Join(", ", entry.Shape)}], model [{string.Join(", ", tensor.shape)}])");
        }
        var unexpected = file.Entries.Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !expected.ContainsKey(k[prefix.Length..]))
            .Where(k => !KnownExtraSuffixes.Any(s => k.EndsWith(s, StringComparison.Ordinal)))
            .Where(k => ignoreUnexpected is null || !ignoreUnexpected(k))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new StateDictMismatch(missing, unexpected, misshaped);
    }

    /// <summary>Strict load: throws <see cref="StateDictMismatchException"/> listing every problem before copying anything.</summary>
    public static void Load(nn.Module module, SafeTensorsFile file, string prefix = "", Func<string, bool>? ignoreUnexpected = null)
    {
        var mismatch = Compare(module, file, prefix, ignoreUnexpected);
        if (!mismatch.IsEmpty) throw new StateDictMismatchException(file.Path, mismatch);
        using var noGrad = no_grad();
        foreach (var (name, target) in module.state_dict())
        {
            using var scope = NewDisposeScope();
            var loaded = file.Read(prefix + name, is_floating_point(target) ? target.dtype : null, target.device);
            target.copy_(loaded);
        }
    }
}
