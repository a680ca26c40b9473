using Microsoft.ML.Tokenizers;
using Pipeline.Tokenize.Cleaning;

namespace Pipeline.Tokenize;

/// <summary>The tokenizer library's normalization step, doing a variant's CLIP text clean-up (<see cref="ClipTextCleaner"/>).</summary>
internal sealed class ClipTextNormalizer(ClipTokenizerVariant variant) : Normalizer
{
    public override string Normalize(string original) => ClipTextCleaner.Clean(original, variant);

    public override string Normalize(ReadOnlySpan<char> original) => ClipTextCleaner.Clean(original.ToString(), variant);
}
