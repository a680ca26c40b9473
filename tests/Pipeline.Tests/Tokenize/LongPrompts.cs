using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Tokenize;

/// <summary>Prompts of 0–300 tokens: words, commas, weights of both syntaxes, BREAK, long words, newlines and syntax soup.</summary>
public static class LongPrompts
{
    static readonly string[] Atoms =
    [
        "cat", "red", "a", "photo", "of", "mountain", "at", "dusk", ",", ", ", " ", "\n", "(", ")", "[", "]", "(dog:1.3)", "(blue)",
        "[faded]", "((tiny))", " BREAK ", "BREAK", "supercalifragilisticexpialidocious", "https://example.com/a/b/c?d=e", "猫", "😀",
        "(a b c d e f g h i j:0.8)", "x", "y", "35mm", "\\(", "\\)",
    ];

    public static Gen<string> Generator =>
        from length in Gen.Choose(0, 160)
        from atoms in Gen.ArrayOf(Gen.Elements(Atoms), length)
        select string.Join(" ", atoms);

    public static Arbitrary<string> Strings() => Arb.From(Gen.OneOf(Generator, Generator, AttentionSyntaxSoup.Generator));
}
