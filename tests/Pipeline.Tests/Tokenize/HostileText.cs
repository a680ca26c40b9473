using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// Strings nobody should type: random code points from every plane (unassigned, private use, controls,
/// unpaired surrogates included), mixed with mojibake, nested entities and special-token literals.
/// </summary>
public static class HostileText
{
    static readonly string[] Fragments =
    [
        "cafÃ©", "doesnÃ¢â‚¬â„¢t", "Ã ", "â€œ", "â€�", "Ã\u00a0", "ï»¿", "Ð¿Ñ€Ð¸", "Ø§Ù„", "√©", "вЂ™", "&amp;amp;lt;",
        "&#xD800;", "&#0;", "&#99999999999;", "&#x80;", "&notit;", "&EACUTE;", "<|endoftext|>", "<end_of_text>",
        "\ud800", "\udc00", "\x1b[", "\x1b[1;2;3", "\u0085\u0093", "\r", "<", "&",
    ];

    static Gen<string> CodePoint =>
        Gen.Frequency(
            (4, Gen.Choose(0x20, 0x7E).Select(cp => ((char)cp).ToString())),
            (3, Gen.Choose(0x80, 0x2FF).Select(cp => ((char)cp).ToString())),
            (2, Gen.Choose(0x300, 0xFFFF).Select(cp => ((char)cp).ToString())),
            (2, Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32)),
            (1, Gen.Choose(0x00, 0x1F).Select(cp => ((char)cp).ToString())),
            (2, Gen.Elements(Fragments)));

    public static Gen<string> Generator =>
        from length in Gen.Choose(0, 40)
        from parts in Gen.ArrayOf(CodePoint, length)
        select string.Concat(parts);

    /// <summary>Hostile strings, and FsCheck's own arbitrary strings.</summary>
    public static Arbitrary<string> Strings() =>
        Arb.From(Gen.OneOf(Generator, ArbMap.Default.GeneratorFor<string>().Where(s => s is not null)));
}
