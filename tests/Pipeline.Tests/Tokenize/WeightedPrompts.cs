using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// A well-formed weighted prompt with distinct leaf words, and the weight each leaf must get: the product of its
/// enclosing multipliers, innermost first (1.1 for <c>( )</c>, 1/1.1 for <c>[ ]</c>, the number for <c>(…:w)</c>).
/// </summary>
public sealed record WeightedPrompt(string Prompt, IReadOnlyList<(string Leaf, double Weight)> Leaves)
{
    public override string ToString() => Prompt;
}

/// <summary>Generates <see cref="WeightedPrompt"/>s: trees of text, <c>(…)</c>, <c>[…]</c> and <c>(…:w)</c> up to depth 5.</summary>
public static class WeightedPrompts
{
    static readonly string[] Separators = ["", " ", ", ", "\n"];

    static Gen<string> ExplicitWeight =>
        Gen.OneOf(
            Gen.Elements("1.5", "0.5", "1.21", "2", "0", ".7", "1.", "-0.3", "+1.1", "3.14159", "1"),
            Gen.Choose(0, 400).Select(n => (n / 100.0).ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>A node as (text, leaves with the multipliers that apply to them so far, innermost first).</summary>
    static Gen<(string Text, List<(int Leaf, List<double> Multipliers)> Leaves)> Node(int depth) =>
        depth >= 5
            ? Leaf()
            : Gen.Frequency(
                (3, Leaf()),
                (2, Children(depth).Select(c => Wrap("(", c, ")", 1.1))),
                (2, Children(depth).Select(c => Wrap("[", c, "]", 1 / 1.1))),
                (2, from c in Children(depth)
                    from w in ExplicitWeight
                    select Wrap("(", c, ":" + w + ")", double.Parse(w, CultureInfo.InvariantCulture))),
                (1, Children(depth)));

    static Gen<(string Text, List<(int Leaf, List<double> Multipliers)> Leaves)> Leaf() =>
        Gen.Choose(0, 1_000_000).Select(id => ($"x{id}|", new List<(int, List<double>)> { (id, new List<double>()) }));

    static Gen<(string Text, List<(int Leaf, List<double> Multipliers)> Leaves)> Children(int depth) =>
        from count in Gen.Choose(0, 3)
        from nodes in Gen.ArrayOf(Node(depth + 1), count)
        from separator in Gen.Elements(Separators)
        select (string.Join(separator, nodes.Select(n => n.Text)), nodes.SelectMany(n => n.Leaves).ToList());

    static (string, List<(int, List<double>)>) Wrap(
        string open, (string Text, List<(int Leaf, List<double> Multipliers)> Leaves) inner, string close, double multiplier)
    {
        foreach (var leaf in inner.Leaves) leaf.Multipliers.Add(multiplier);
        return (open + inner.Text + close, inner.Leaves);
    }

    public static Gen<WeightedPrompt> Generator =>
        Children(0)
            .Where(tree => tree.Leaves.Select(l => l.Leaf).Distinct().Count() == tree.Leaves.Count)
            .Select(tree => new WeightedPrompt(
                tree.Text,
                tree.Leaves.Select(l => ($"x{l.Leaf}|", l.Multipliers.Aggregate(1.0, (w, m) => w * m))).ToArray()));

    public static Arbitrary<WeightedPrompt> Prompts() => Arb.From(Generator);
}
