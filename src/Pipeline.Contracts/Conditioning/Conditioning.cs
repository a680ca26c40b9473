using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// The conditioning a diffusion network receives, routed by name as in sgm's GeneralConditioner output:
/// <c>crossattn</c> (UNet context, [B, 77, 2048] for SDXL base), <c>vector</c> (added to the timestep
/// embedding, [B, 2816]) and <c>concat</c> (channel-concatenated to the input). Absent parts are null.
/// The record does not own its tensors; whoever created them disposes them.
/// </summary>
/// <param name="CrossAttn">UNet cross-attention context [B, tokens, width], or null.</param>
/// <param name="Vector">The vector added to the timestep embedding [B, adm_in_channels], or null.</param>
/// <param name="Concat">Channels concatenated to the UNet input [B, C, H, W], or null.</param>
public sealed record Conditioning(Tensor? CrossAttn = null, Tensor? Vector = null, Tensor? Concat = null)
{
    /// <summary>Batch size, taken from the first present part.</summary>
    public long BatchSize => (CrossAttn ?? Vector ?? Concat)?.shape[0]
                             ?? throw new InvalidOperationException("conditioning has no parts");

    /// <summary>Concatenates two conditionings along the batch (sgm's CFG layout: <c>[first; second]</c>).</summary>
    public static Conditioning Concatenate(Conditioning first, Conditioning second) => new(
        Cat(first.CrossAttn, second.CrossAttn, "crossattn"),
        Cat(first.Vector, second.Vector, "vector"),
        Cat(first.Concat, second.Concat, "concat"));

    static Tensor? Cat(Tensor? a, Tensor? b, string name) => (a, b) switch
    {
        (null, null) => null,
        (not null, not null) => cat(new[] { a, b }, 0),
        _ => throw new ArgumentException($"conditioning part '{name}' is present in one branch and missing in the other"),
    };
}
