using Pipeline.Tokenize.Prompts;
using Xunit;

namespace Pipeline.Tests.Tokenize;

/// <summary>The documented examples of A1111's parser, and our error result.</summary>
public class PromptAttentionTests
{
    static (string, double)[] Parse(string prompt) => PromptAttention.Parse(prompt).Pieces.ToArray();

    [Fact]
    public void A1111_docstring_examples()
    {
        Assert.Equal(new[] { ("normal text", 1.0) }, Parse("normal text"));
        Assert.Equal(new[] { ("an ", 1.0), ("important", 1.1), (" word", 1.0) }, Parse("an (important) word"));
        Assert.Equal(new[] { ("unbalanced", 1.1) }, Parse("(unbalanced"));
        Assert.Equal(new[] { ("(literal]", 1.0) }, Parse(@"\(literal\]"));
        Assert.Equal(new[] { ("unnecessaryparens", 1.1) }, Parse("(unnecessary)(parens)"));
        Assert.Equal(
            new[]
            {
                ("a ", 1.0), ("house", 1.5730000000000004), (" ", 1.1), ("on", 1.0), (" a ", 1.1), ("hill", 0.55),
                (", sun, ", 1.1), ("sky", 1.4641000000000006), (".", 1.1),
            },
            Parse("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))."));
    }

    [Fact]
    public void Empty_prompt_and_BREAK()
    {
        Assert.Equal(new[] { ("", 1.0) }, Parse(""));
        Assert.Equal(new[] { ("a", 1.0), ("BREAK", -1.0), ("b", 1.0) }, Parse("a  BREAK\nb"));
        Assert.Equal(new[] { ("aBREAK b", 1.0) }, Parse("aBREAK b"));
    }

    [Theory]
    [InlineData("(a:1.2.3)")]
    [InlineData("(a:.)")]
    [InlineData("((a):-.)")]
    public void Malformed_weights_are_an_error_not_an_exception(string prompt)
    {
        var parse = PromptAttention.Parse(prompt);
        Assert.False(parse.Succeeded);
        Assert.Empty(parse.Pieces);
        Assert.Contains("is not a number", parse.Error);
    }

    [Fact]
    public void Malformed_weight_outside_brackets_is_text() =>
        Assert.Equal(new[] { ("a:1.2.3)", 1.0) }, Parse("a:1.2.3)"));
}
