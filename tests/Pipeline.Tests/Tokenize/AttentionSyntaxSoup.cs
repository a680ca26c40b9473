using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// Strings made of attention-syntax atoms in any order: brackets (balanced or not), escapes, lone backslashes,
/// colons and weights (valid, signed, malformed), BREAK in and out of words, Unicode spaces and digits, text.
/// </summary>
public static class AttentionSyntaxSoup
{
    static readonly string[] Atoms =
    [
        "(", ")", "[", "]", ":", "\\", "\\(", "\\)", "\\[", "\\]", "\\\\", " ", "  ", "\t", "\n", "\u3000", "\x1c", ",", ".",
        "a", "cat", "big dog", "BREAK", " BREAK ", "BREAK_", "1.5", "0.5", "2", "-1", "+3", "1.2.3", ":1.3)", ": 0.8 )",
        ":-0)", ":١.٥)", ":𝟐)", "é", "猫", "😀", "𝐀", "_", "e5",
    ];

    public static Gen<string> Generator =>
        from length in Gen.Choose(0, 30)
        from atoms in Gen.ArrayOf(Gen.Elements(Atoms), length)
        select string.Concat(atoms);

    /// <summary>Syntax soup, hostile text and FsCheck's own strings.</summary>
    public static Arbitrary<string> Strings() =>
        Arb.From(Gen.OneOf(Generator, HostileText.Generator, ArbMap.Default.GeneratorFor<string>().Where(s => s is not null)));
}
