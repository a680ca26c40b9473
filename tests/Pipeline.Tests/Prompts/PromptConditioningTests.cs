using System.Collections.Immutable;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Stages;
using Pipeline.Tokenize;
using Pipeline.Tokenize.Embeddings;
using Pipeline.Tokenize.Prompts;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Prompts;

/// <summary>
/// The Condition stage for the prompt language: identity with today's path, long prompts (77·k context rows),
/// both weightings as defined, textual inversion through the text encoders, evening out prompt and negative prompt.
/// On the tiny SDXL-layout base (CLIP-L width 16, bigG width 32, context 48).
/// </summary>
public sealed class PromptConditioningTests : IDisposable
{
    readonly SdxlModel _base = SdxlModel.Create(TinyModels.Base);
    static readonly ImageSize Size = new(32, 32);
    const int ClipLWidth = 16;

    public void Dispose() => _base.Dispose();

    ConditioningPair Condition(string prompt, PromptStyle style, string negative = "", EmbeddingLibrary? library = null) =>
        ConditionStage.Run(_base.Conditioner, PromptRow.For(prompt, Size, negative), new PromptOptions(style, library ?? EmbeddingLibrary.Empty));

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static float MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    /// <summary>A prompt of exactly <paramref name="n"/> one-token words without commas.</summary>
    static string Words(int n) => string.Join(" ", Enumerable.Range(0, n).Select(i => new[] { "red", "cat", "blue", "sky", "tree" }[i % 5]));

    [Theory]
    [InlineData("a red circle on a blue background")]
    [InlineData("")]
    [InlineData("photo, 35mm, portrait of an old man, dramatic light, film grain")]
    public void Unweighted_prompts_up_to_75_tokens_condition_bit_identically_to_todays_path(string prompt)
    {
        // Today's path: the sgm tokenizer's 77 ids straight into the conditioner.
        var l = ClipTokenizer.Get(ClipTokenizerVariant.ClipL).Tokenize(prompt).Ids.ToArray();
        var g = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip).Tokenize(prompt).Ids.ToArray();
        var row = new ConditionerInput(l, g, Size, default, Size);
        using var noGrad = no_grad();
        var legacy = _base.Conditioner.Forward(new[] { row });
        try
        {
            foreach (var style in new[] { PromptStyle.A1111, PromptStyle.Comfy, PromptStyle.Sgm })
            {
                using var pair = Condition(prompt, style, negative: "ugly");
                Assert.True(Same(legacy.CrossAttn!, pair.Cond.CrossAttn!), $"{style}: crossattn max diff {MaxDiff(legacy.CrossAttn!, pair.Cond.CrossAttn!)}");
                Assert.True(Same(legacy.Vector!, pair.Cond.Vector!), $"{style}: vector");
            }
        }
        finally
        {
            legacy.CrossAttn?.Dispose();
            legacy.Vector?.Dispose();
        }
    }

    [Theory]
    [InlineData(PromptStyle.A1111)]
    [InlineData(PromptStyle.Comfy)]
    public void A_150_token_prompt_gives_154_context_rows_and_its_first_chunk_alone_gives_the_first_77_and_the_pooled_vector(PromptStyle style)
    {
        using var longPair = Condition(Words(150), style);
        Assert.Equal(new long[] { 1, 154, 48 }, longPair.Cond.CrossAttn!.shape);
        // Unconditional (empty negative, zeroed) is repeated to the same length.
        Assert.Equal(new long[] { 1, 154, 48 }, longPair.Uncond.CrossAttn!.shape);
        Assert.Equal(0f, longPair.Uncond.CrossAttn!.abs().max().item<float>());
        using var first = Condition(Words(75), style);
        using var head = longPair.Cond.CrossAttn!.narrow(1, 0, 77);
        Assert.True(Same(first.Cond.CrossAttn!, head));
        Assert.True(Same(first.Cond.Vector!, longPair.Cond.Vector!));
        using var second = Condition(Words(150).Split(' ').Skip(75).Aggregate((a, b) => a + " " + b), style);
        using var tail = longPair.Cond.CrossAttn!.narrow(1, 77, 77);
        Assert.True(Same(second.Cond.CrossAttn!, tail));
    }

    [Fact]
    public void The_sgm_style_truncates_to_one_window()
    {
        using var pair = Condition(Words(150), PromptStyle.Sgm);
        Assert.Equal(77, pair.Cond.CrossAttn!.shape[1]);
        var tokens = PromptTokenizer.Run(PromptRow.For(Words(150), Size), PromptOptions.Of(PromptStyle.Sgm));
        Assert.Equal(75, tokens.PromptTokensDropped);
    }

    [Fact]
    public void BREAK_starts_a_new_chunk()
    {
        using var pair = Condition("a red circle BREAK a blue background", PromptStyle.A1111);
        Assert.Equal(154, pair.Cond.CrossAttn!.shape[1]);
        using var second = Condition("a blue background", PromptStyle.A1111);
        using var tail = pair.Cond.CrossAttn!.narrow(1, 77, 77);
        Assert.True(Same(second.Cond.CrossAttn!, tail));
    }

    [Fact]
    public void A1111_weighting_multiplies_each_token_then_restores_each_encoders_mean()
    {
        using var plain = Condition("a red circle", PromptStyle.A1111);
        using var weighted = Condition("a (red:1.5) circle", PromptStyle.A1111);
        var weights = ones(1, 77, 1);
        weights[0, 2, 0] = tensor(1.5f);
        foreach (var (from, width) in new[] { (0L, 16L), (16L, 32L) })
        {
            using var z = plain.Cond.CrossAttn!.narrow(2, from, width);
            using var w = weighted.Cond.CrossAttn!.narrow(2, from, width);
            using var multiplied = z * weights;
            using var expected = multiplied * (z.mean() / multiplied.mean());
            Assert.True(MaxDiff(expected, w) < 1e-5f, $"encoder at {from}: max diff {MaxDiff(expected, w)}");
            Assert.True(Math.Abs(z.mean().item<float>() - w.mean().item<float>()) < 1e-6f);
        }
        Assert.True(Same(plain.Cond.Vector!, weighted.Cond.Vector!), "the pooled vector is not weighted");
    }

    [Fact]
    public void Comfy_weighting_moves_weighted_tokens_away_from_the_empty_prompt_and_leaves_the_rest_untouched()
    {
        using var plain = Condition("a red circle", PromptStyle.Comfy);
        using var weighted = Condition("a (red:1.5) circle", PromptStyle.Comfy);
        using var empty = Condition("", PromptStyle.Comfy, negative: "x");
        var z = plain.Cond.CrossAttn!;
        var w = weighted.Cond.CrossAttn!;
        var e = empty.Cond.CrossAttn!;
        using var expected = (z[0, 2] - e[0, 2]) * 1.5f + e[0, 2];
        Assert.True(MaxDiff(expected, w[0, 2]) < 1e-5f, $"max diff {MaxDiff(expected, w[0, 2])}");
        foreach (int p in new[] { 0, 1, 3, 4, 40, 76 })
            Assert.True(Same(z[0, p], w[0, p]), $"position {p} changed");
        Assert.True(Same(plain.Cond.Vector!, weighted.Cond.Vector!));
    }

    [Theory]
    [InlineData(PromptStyle.A1111, "a photo of mycat", "a photo of cat")]
    [InlineData(PromptStyle.Comfy, "a photo of embedding:mycat", "a photo of cat")]
    [InlineData(PromptStyle.A1111, "(mycat:1.3) on a mat", "(cat:1.3) on a mat")]
    [InlineData(PromptStyle.A1111, "mytwo, sitting", "red cat, sitting")]
    public void An_embedding_equal_to_existing_token_embeddings_reproduces_that_prompt_exactly(PromptStyle style, string withEmbedding, string plain)
    {
        var library = EmbeddingLibrary.Of(
            TextualInversionFromTokens.Create(_base.Conditioner, "mycat", "cat"),
            TextualInversionFromTokens.Create(_base.Conditioner, "mytwo", "red cat"));
        using var a = Condition(withEmbedding, style, library: library);
        using var b = Condition(plain, style);
        Assert.True(Same(a.Cond.CrossAttn!, b.Cond.CrossAttn!), $"crossattn max diff {MaxDiff(a.Cond.CrossAttn!, b.Cond.CrossAttn!)}");
        Assert.True(Same(a.Cond.Vector!, b.Cond.Vector!), "pooled vector differs");
    }

    [Fact]
    public void An_embedding_changes_the_conditioning_where_it_stands()
    {
        var library = EmbeddingLibrary.Of(TextualInversionFromTokens.Create(_base.Conditioner, "mycat", "dog"));
        using var a = Condition("a photo of mycat", PromptStyle.A1111, library: library);
        using var b = Condition("a photo of cat", PromptStyle.A1111);
        Assert.False(Same(a.Cond.CrossAttn!, b.Cond.CrossAttn!));
    }

    [Fact]
    public void Embeddings_made_for_another_model_are_refused_naming_the_widths()
    {
        var wrong = new TextualInversion("wide", ImmutableArray.Create(ImmutableArray.Create(new float[768])),
            ImmutableArray.Create(ImmutableArray.Create(new float[1280])));
        var e = Assert.Throws<ArgumentException>(() => Condition("a wide cat", PromptStyle.A1111, library: EmbeddingLibrary.Of(wrong)));
        Assert.Contains("768", e.Message);
        Assert.Contains($"{ClipLWidth}", e.Message);
    }

    [Fact]
    public void A1111_pads_the_shorter_rows_of_a_batch_with_encoded_empty_chunks()
    {
        var rows = ImmutableArray.Create(
            new PromptRow(Words(100), "", MicroConditioning.ForImage(Size)),
            new PromptRow("a red circle", "", MicroConditioning.ForImage(Size)));
        using var pair = ConditionStage.Run(_base.Conditioner, rows, PromptOptions.Of(PromptStyle.A1111));
        Assert.Equal(new long[] { 2, 154, 48 }, pair.Cond.CrossAttn!.shape);
        using var alone = Condition("a red circle", PromptStyle.A1111);
        using var empty = Condition("", PromptStyle.A1111, negative: "x");
        Assert.True(Same(alone.Cond.CrossAttn![0], pair.Cond.CrossAttn![1].narrow(0, 0, 77)));
        Assert.True(Same(empty.Cond.CrossAttn![0], pair.Cond.CrossAttn![1].narrow(0, 77, 77)));
    }

    [Fact]
    public void Comfy_repeats_shorter_rows_to_the_common_length()
    {
        var rows = ImmutableArray.Create(
            new PromptRow(Words(100), "", MicroConditioning.ForImage(Size)),
            new PromptRow("a red circle", "", MicroConditioning.ForImage(Size)));
        using var pair = ConditionStage.Run(_base.Conditioner, rows, PromptOptions.Of(PromptStyle.Comfy));
        Assert.Equal(154, pair.Cond.CrossAttn!.shape[1]);
        using var alone = Condition("a red circle", PromptStyle.Comfy);
        Assert.True(Same(alone.Cond.CrossAttn![0], pair.Cond.CrossAttn![1].narrow(0, 0, 77)));
        Assert.True(Same(alone.Cond.CrossAttn![0], pair.Cond.CrossAttn![1].narrow(0, 77, 77)));
    }

    [Theory]
    [InlineData(PromptStyle.A1111)]
    [InlineData(PromptStyle.Comfy)]
    public void A_shorter_negative_prompt_is_repeated_to_the_prompts_length(PromptStyle style)
    {
        using var pair = Condition(Words(120), style, negative: "blurry");
        Assert.Equal(154, pair.Uncond.CrossAttn!.shape[1]);
        using var negative = Condition("blurry", style, negative: "x");
        Assert.True(Same(negative.Cond.CrossAttn![0], pair.Uncond.CrossAttn![0].narrow(0, 0, 77)));
        Assert.True(Same(negative.Cond.CrossAttn![0], pair.Uncond.CrossAttn![0].narrow(0, 77, 77)));
    }

    /// <summary>
    /// Repeating a context leaves cross-attention unchanged: the denoiser's output with the 77-row conditioning
    /// repeated to 154 rows equals the output with 77 rows (within float32 summation error), so evening out prompt and
    /// negative prompt is the same as running each at its own length, as A1111 and ComfyUI do by default.
    /// </summary>
    [Fact]
    public void The_UNet_takes_any_context_length_and_repeating_the_context_leaves_its_output_unchanged()
    {
        using var pair = Condition("a red circle on a blue background", PromptStyle.A1111);
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 1, 4, 4, 4 }, generator: new TorchSharp.torch.Generator(3));
        var sigma = tensor(new[] { 2.0f });
        var once = pair.Cond;
        var twice = once with { CrossAttn = once.CrossAttn!.repeat(1, 2, 1) };
        using var noGrad = no_grad();
        var a = _base.Denoiser.Denoise(_base.Network, x, sigma, once);
        var b = _base.Denoiser.Denoise(_base.Network, x, sigma, twice);
        Assert.True(MaxDiff(a, b) < 1e-5f, $"max diff {MaxDiff(a, b)}");
        var threeChunks = once with { CrossAttn = cat(new[] { once.CrossAttn!, pair.Uncond.CrossAttn!, once.CrossAttn! }, 1) };
        var c = _base.Denoiser.Denoise(_base.Network, x, sigma, threeChunks);
        Assert.Equal(x.shape, c.shape);
        Assert.True(c.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(PromptStyle.A1111)]
    [InlineData(PromptStyle.Comfy)]
    public void Conditioning_long_weighted_prompts_with_embeddings_leaves_no_live_tensors(PromptStyle style)
    {
        var library = EmbeddingLibrary.Of(TextualInversionFromTokens.Create(_base.Conditioner, "mycat", "red cat"));
        var rows = ImmutableArray.Create(
            new PromptRow(Words(100) + (style == PromptStyle.Comfy ? " embedding:mycat" : " mycat") + " (blue:1.4) [sky]", "", MicroConditioning.ForImage(Size)),
            new PromptRow("a (red:0.7) circle", "ugly", MicroConditioning.ForImage(Size)));
        var options = new PromptOptions(style, library);
        ConditionStage.Run(_base.Conditioner, rows, options).Dispose();   // warm-up: lazy tables
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        ConditionStage.Run(_base.Conditioner, rows, options).Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
