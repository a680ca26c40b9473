using System.Text.Json;
using Pipeline.Tokenize;
using Xunit;

namespace Pipeline.Tests.Tokenize;

public class TokenizerTests
{
    static readonly ClipTokenizer ClipL = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
    static readonly ClipTokenizer OpenClip = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip);

    [Fact]
    public void Get_returns_one_shared_instance_per_variant()
    {
        Assert.Same(ClipL, ClipTokenizer.Get(ClipTokenizerVariant.ClipL));
        Assert.Same(OpenClip, ClipTokenizer.Get(ClipTokenizerVariant.OpenClip));
        Assert.Equal(ClipTokenizerVariant.OpenClip, OpenClip.Variant);
    }

    [Fact]
    public void Get_rejects_an_unknown_variant_and_lists_the_valid_ones()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ClipTokenizer.Get((ClipTokenizerVariant)7));
        Assert.Contains("ClipL", error.Message);
        Assert.Contains("OpenClip", error.Message);
    }

    [Fact]
    public void Null_prompt_is_a_clear_argument_error()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => OpenClip.Tokenize(null!));
        Assert.Contains("null", error.Message);
        var batchError = Assert.ThrowsAny<ArgumentException>(() => TokenizeStage.Run(["ok", null!]));
        Assert.Contains("Prompt 1", batchError.Message);
        Assert.ThrowsAny<ArgumentException>(() => TokenizeStage.Run(null!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n \r\n\u3000\u00a0")]
    [InlineData("\ufeff\u0007\u001b[0m")]
    public void Empty_prompts_are_start_end_then_padding(string prompt)
    {
        foreach (var tokenizer in new[] { ClipL, OpenClip })
        {
            var result = tokenizer.Tokenize(prompt);
            int[] expected = [49406, 49407, .. Enumerable.Repeat(tokenizer.PadId, 75)];
            Assert.Equal(expected, result.Ids);
            Assert.Empty(result.UntruncatedIds);
            Assert.False(result.Truncated);
        }
    }

    [Fact]
    public void Long_prompts_keep_the_first_75_ids_and_count_the_rest()
    {
        string prompt = string.Concat(Enumerable.Repeat("a photo of a cat, ", 20)); // 6 ids each
        var result = OpenClip.Tokenize(prompt);
        Assert.Equal(120, result.UntruncatedIds.Length);
        Assert.Equal(45, result.DroppedTokens);
        Assert.True(result.Truncated);
        Assert.Equal(result.UntruncatedIds.Take(75), result.Ids.Skip(1).Take(75));
        Assert.Equal(ClipVocabulary.EndOfText, result.Ids[76]);
    }

    /// <summary>A megabyte prompt is tokenized whole: every id is counted, so the dropped count is exact.</summary>
    [Fact]
    public void Megabyte_prompt_is_tokenized_completely()
    {
        string prompt = string.Concat(Enumerable.Repeat("a photo of a cat, ", 60_000)); // 1,080,000 chars
        var tokens = TokenizeStage.Run([prompt]);
        Assert.Equal(360_000, tokens.ClipL[0].UntruncatedIds.Length);
        Assert.Equal(360_000 - 75, tokens.OpenClip[0].DroppedTokens);
        Assert.True(tokens.AnyTruncated);
    }

    /// <summary>Runs longer than the BPE word limit are cut into words of that length (documented difference from CLIP).</summary>
    [Fact]
    public void Runs_longer_than_the_word_limit_are_cut()
    {
        string run = new('a', ClipPreTokenizer.MaxWordLength * 2 + 10);
        var words = OpenClip.SplitWords("x " + run).ToArray();
        Assert.Equal(["x", run[..ClipPreTokenizer.MaxWordLength], run[..ClipPreTokenizer.MaxWordLength], new string('a', 10)], words);
        string emoji = string.Concat(Enumerable.Repeat("🙂", ClipPreTokenizer.MaxWordLength));
        Assert.All(OpenClip.SplitWords(emoji), w => Assert.False(char.IsLowSurrogate(w[0])));
    }

    [Fact]
    public void Stage_tokenizes_every_prompt_for_both_encoders_in_order()
    {
        string[] prompts = ["a photograph of an astronaut riding a horse", "", "&copy 2024"];
        var tokens = TokenizeStage.Run(prompts);
        Assert.Equal(3, tokens.Count);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(ClipL.Tokenize(prompts[i]), tokens.ClipL[i]);
            Assert.Equal(OpenClip.Tokenize(prompts[i]), tokens.OpenClip[i]);
        }
        Assert.Equal([49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407], tokens.ClipL[0].Ids.Take(10).ToArray());
        Assert.Equal(49407, tokens.ClipL[0].Ids[76]);
        Assert.Equal(0, tokens.OpenClip[0].Ids[76]);
        Assert.NotEqual(tokens.ClipL[2].UntruncatedIds, tokens.OpenClip[2].UntruncatedIds);
    }

    [Fact]
    public void Tokenized_prompts_compare_by_value()
    {
        Assert.Equal(OpenClip.Tokenize("a cat"), OpenClip.Tokenize("A  CAT"));
        Assert.NotEqual(OpenClip.Tokenize("a cat"), ClipL.Tokenize("a cat"));
        Assert.Throws<ArgumentException>(() => new TokenizedPrompt([1, 2], [], 0));
    }

    /// <summary>The vocabulary built from the shipped merges file equals the reference vocab.json and merges.txt.</summary>
    [Fact]
    public void Vocabulary_matches_the_reference_files()
    {
        string folder = TokenizerGoldens.ReferenceFolder;
        var reference = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(folder, "vocab.json")))!;
        Assert.Equal(ClipVocabulary.Size, ClipVocabulary.Vocabulary.Count);
        Assert.Equal(reference.OrderBy(kv => kv.Value), ClipVocabulary.Vocabulary.OrderBy(kv => kv.Value));
        string[] merges = File.ReadAllText(Path.Combine(folder, "merges.txt")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#version: 0.2", merges[0]);
        Assert.Equal(merges[1..], ClipVocabulary.Merges);
    }

    [Fact]
    public void Vocabulary_ships_with_its_licence()
    {
        using var stream = typeof(ClipVocabulary).Assembly.GetManifestResourceStream("Pipeline.Tokenize.Data.LICENSE.openai-CLIP.txt");
        Assert.NotNull(stream);
        string licence = new StreamReader(stream).ReadToEnd();
        Assert.Contains("MIT License", licence);
        Assert.Contains("OpenAI", licence);
    }
}
