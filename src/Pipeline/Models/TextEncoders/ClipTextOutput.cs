using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// transformers <c>BaseModelOutputWithPooling</c> of <see cref="ClipTextModel"/>: <c>last_hidden_state</c>
/// (final LayerNorm applied), <c>pooler_output</c> (its row at the first maximal token id) and, when asked,
/// <c>hidden_states</c> (index 0 = embeddings, k = output of layer k-1, no final LayerNorm). The caller owns
/// and disposes the tensors.
/// </summary>
public sealed record ClipTextOutput(Tensor LastHiddenState, Tensor PoolerOutput, IReadOnlyList<Tensor>? HiddenStates) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PoolerOutput.Dispose();
        if (HiddenStates is null) return;
        foreach (var h in HiddenStates) h.Dispose();
    }
}
