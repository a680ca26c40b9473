using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// One of a <see cref="GeneralConditioner"/>'s embedders (sgm <c>AbstractEmbModel</c>): reads one batch field
/// (<see cref="InputKey"/>) and produces one or more outputs, each routed by name to a conditioning part.
/// </summary>
public interface IEmbedder
{
    /// <summary>sgm's <c>input_key</c>, e.g. "txt" or "original_size_as_tuple" (see <see cref="EmbedderKeys"/>).</summary>
    string InputKey { get; }

    /// <summary>Probability of zeroing a row's outputs during training (sgm <c>ucg_rate</c>).</summary>
    double UcgRate { get; }

    /// <summary>Whether gradients flow (SDXL's embedders are all frozen).</summary>
    bool IsTrainable { get; }

    /// <summary>Where each output goes, in output order.</summary>
    IReadOnlyList<ConditioningKind> Outputs { get; }

    /// <summary>Widths of the outputs' concatenated dimension, in output order (e.g. 768 for CLIP-L's hidden state).</summary>
    IReadOnlyList<long> OutputWidths { get; }

    /// <summary>Embeds the batch on <paramref name="device"/>; returns one tensor per output, owned by the caller.</summary>
    IReadOnlyList<Tensor> Embed(IReadOnlyList<ConditionerInput> batch, Device device);
}
