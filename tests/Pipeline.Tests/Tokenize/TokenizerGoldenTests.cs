using Xunit;
using Pipeline.Tokenize;

namespace Pipeline.Tests.Tokenize;

/// <summary>Every golden case, each its own test: the ids of both SDXL tokenizers, and the clean-up and word split behind them.</summary>
public class TokenizerGoldenTests
{
    static readonly ClipTokenizer ClipL = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
    static readonly ClipTokenizer OpenClip = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip);

    public static TheoryData<int, string> Cases() => TokenizerGoldens.CaseRows();

    [Fact]
    public void Goldens_file_has_cases()
    {
        Assert.True(TokenizerGoldens.Cases.Count > 0, $"{TokenizerGoldens.FilePath} has no cases.");
        Assert.Equal(TokenizerGoldens.DeclaredCount, TokenizerGoldens.Cases.Count);
        Assert.Equal(ClipVocabulary.ContextLength, TokenizerGoldens.ContextLength);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ClipL_ids_match_hf_clip_77(int index, string name)
    {
        var golden = TokenizerGoldens.Cases[index];
        var result = ClipL.Tokenize(golden.Prompt);
        Assert.Equal(golden.HfClip77, result.Ids.ToArray());
        Assert.Equal(golden.IdsHf, result.UntruncatedIds.ToArray());
        Assert.Equal(Math.Max(0, golden.IdsHf.Length - ClipVocabulary.MaxContentTokens), result.DroppedTokens);
        Assert.Equal(name, golden.Name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpenClip_ids_match_open_clip_77(int index, string name)
    {
        var golden = TokenizerGoldens.Cases[index];
        var result = OpenClip.Tokenize(golden.Prompt);
        Assert.Equal(golden.OpenClip77, result.Ids.ToArray());
        Assert.Equal(golden.IdsOpenClip, result.UntruncatedIds.ToArray());
        Assert.Equal(Math.Max(0, golden.IdsOpenClip.Length - ClipVocabulary.MaxContentTokens), result.DroppedTokens);
        Assert.Equal(name, golden.Name);
    }

    /// <summary>openai CLIP's own ids equal whichever variant the goldens say agrees with it.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Openai_ids_match_the_variants_that_agree_with_openai(int index, string name)
    {
        var golden = TokenizerGoldens.Cases[index];
        Assert.Equal(golden.NumIds, golden.Ids.Length);
        Assert.Equal(golden.NumIds > ClipVocabulary.MaxContentTokens, golden.Truncated);
        if (!golden.OpenClipDiffersFromOpenai) Assert.Equal(golden.Ids, OpenClip.Tokenize(golden.Prompt).UntruncatedIds.ToArray());
        if (!golden.HfDiffersFromOpenai) Assert.Equal(golden.Ids, ClipL.Tokenize(golden.Prompt).UntruncatedIds.ToArray());
        Assert.Equal(name, golden.Name);
    }

    /// <summary>The golden "cleaned" text is openai's clean-up, which open_clip shares.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Cleaned_text_matches(int index, string name)
    {
        var golden = TokenizerGoldens.Cases[index];
        Assert.Equal(golden.Cleaned, OpenClip.Clean(golden.Prompt));
        Assert.Equal(name, golden.Name);
    }

    /// <summary>The golden word split uses openai's special literals, which the CLIP-L variant shares.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Words_match_pretokens(int index, string name)
    {
        var golden = TokenizerGoldens.Cases[index];
        Assert.Equal(golden.Pretokens, ClipL.SplitWords(golden.Cleaned).ToArray());
        Assert.Equal(name, golden.Name);
    }
}
