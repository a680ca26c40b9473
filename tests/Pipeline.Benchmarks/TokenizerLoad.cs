using System.Diagnostics;
using Pipeline.Tokenize;

namespace Pipeline.Benchmarks;

/// <summary>Cold-start cost of the tokenizers: the first <see cref="ClipTokenizer.Get"/> of each variant and the first prompt, in a fresh process.</summary>
public static class TokenizerLoad
{
    public static void Report(TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var clipL = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
        double clipLMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        var openClip = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip);
        double openClipMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        clipL.Tokenize(TokenizerBenchmark.TypicalBatch[0]);
        openClip.Tokenize(TokenizerBenchmark.TypicalBatch[0]);
        double firstPromptMs = clock.Elapsed.TotalMilliseconds;

        output.WriteLine($"first ClipTokenizer.Get(ClipL)    {clipLMs,8:F0} ms  (reads the embedded vocabulary)");
        output.WriteLine($"first ClipTokenizer.Get(OpenClip) {openClipMs,8:F0} ms  (vocabulary already read)");
        output.WriteLine($"first prompt, both variants       {firstPromptMs,8:F0} ms  (JIT of the clean-up and BPE paths)");
    }
}
