using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Tests.Tokenize;

/// <summary>Laws of <see cref="PromptAttention.Parse"/>.</summary>
public class PromptAttentionProperties
{
    /// <summary>Each leaf's weight is exactly the product of its multipliers (1.1, 1/1.1, explicit numbers), innermost first.</summary>
    [Property(Arbitrary = [typeof(WeightedPrompts)], MaxTest = 300)]
    public Property Weights_are_the_products_of_the_enclosing_multipliers(WeightedPrompt prompt)
    {
        var parse = PromptAttention.Parse(prompt.Prompt);
        return (parse.Succeeded && prompt.Leaves.All(leaf =>
                parse.Pieces.Single(p => p.Text.Contains(leaf.Leaf, StringComparison.Ordinal)).Weight.Equals(leaf.Weight)))
            .Label($"{prompt.Prompt} → {string.Join(", ", parse.Pieces.Select(p => $"[{p.Text}, {p.Weight:R}]"))}");
    }

    /// <summary>Without weights in the prompt, every weight is ±1.1^k for a whole k no larger than the number of brackets.</summary>
    [Property(Arbitrary = [typeof(AttentionSyntaxSoup)], MaxTest = 500)]
    public bool Without_explicit_weights_every_weight_is_a_power_of_1_1(string prompt)
    {
        if (prompt.Contains(':')) return true;
        int brackets = prompt.Count(c => c is '(' or '[');
        return PromptAttention.Parse(prompt).Pieces.All(p =>
        {
            double k = Math.Log(Math.Abs(p.Weight)) / Math.Log(1.1);
            return Math.Abs(k - Math.Round(k)) < 1e-9 && Math.Abs(Math.Round(k)) <= brackets
                && (p.Weight > 0 || p.Text == PromptAttention.Break);
        });
    }

    [Property(Arbitrary = [typeof(PromptLikeText)])]
    public bool Prompts_without_syntax_are_one_piece_of_weight_1(string prompt)
    {
        var plain = new string(prompt.Where(c => c is not ('\\' or '(' or ')' or '[' or ']' or ':')).ToArray())
            .Replace(PromptAttention.Break, "break", StringComparison.Ordinal);
        var pieces = PromptAttention.Parse(plain).Pieces;
        return pieces.Count == 1 && pieces[0].Text == plain && pieces[0].Weight == 1.0;
    }

    /// <summary>Any string: no exception; either pieces (at least one, adjacent weights differ) or an error that says why.</summary>
    [Property(Arbitrary = [typeof(AttentionSyntaxSoup)], MaxTest = 1000)]
    public bool Never_throws_and_answers_pieces_or_an_error(string prompt)
    {
        var parse = PromptAttention.Parse(prompt);
        return parse.Succeeded
            ? parse.Pieces.Count >= 1
              && parse.Pieces.Zip(parse.Pieces.Skip(1)).All(pair => !(pair.First.Weight == pair.Second.Weight))
            : parse.Pieces.Count == 0 && !string.IsNullOrWhiteSpace(parse.Error);
    }

    /// <summary>Escaping every special character makes any text literal: one piece, the text itself, weight 1.</summary>
    [Property(Arbitrary = [typeof(AttentionSyntaxSoup)], MaxTest = 500)]
    public bool Escaped_text_is_literal(string prompt)
    {
        if (prompt.Contains(':') || prompt.Contains(PromptAttention.Break, StringComparison.Ordinal)) return true;
        var escaped = string.Concat(prompt.Select(c => c is '\\' or '(' or ')' or '[' or ']' ? "\\" + c : c.ToString()));
        var pieces = PromptAttention.Parse(escaped).Pieces;
        return pieces.Count == 1 && pieces[0].Text == prompt && pieces[0].Weight == 1.0;
    }
}
