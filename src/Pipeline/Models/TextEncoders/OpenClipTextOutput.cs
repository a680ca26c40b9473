using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// What <see cref="OpenClipTextModel.Encode"/> returns, named as sgm's <c>FrozenOpenCLIPEmbedder2</c> names them:
/// <c>penultimate</c> (input of the last block, no <c>ln_final</c>), <c>last</c> (output of the last block),
/// <c>pooled</c> (<c>ln_final(last)</c> at the first maximal token id, times <c>text_projection</c>). With
/// intermediates: <c>embeddings</c>, every block output and <c>ln_final(last)</c>. The caller disposes them.
/// </summary>
public sealed record OpenClipTextOutput(
    Tensor Penultimate, Tensor Last, Tensor Pooled,
    Tensor? Embeddings = null, IReadOnlyList<Tensor>? BlockOutputs = null, Tensor? LastLnFinal = null) : IDisposable
{
    public void Dispose()
    {
        Penultimate.Dispose();
        Last.Dispose();
        Pooled.Dispose();
        Embeddings?.Dispose();
        LastLnFinal?.Dispose();
        if (BlockOutputs is null) return;
        foreach (var b in BlockOutputs) b.Dispose();
    }
}
