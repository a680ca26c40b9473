using Pipeline.Generation;
using Pipeline.Models.Vae;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>Decode: latents → RGB images in [0, 1] (sgm's <c>decode_first_stage</c>, then (x + 1)/2 clamped).</summary>
public static class DecodeStage
{
    public static Tensor Run(AutoencoderKL vae, Tensor latents, DecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vae);
        options ??= DecodeOptions.Default;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (options.Taesd is { } taesd) return taesd.call(latents.to(ScalarType.Float32)).clamp(0, 1).MoveToOuterDisposeScope();
        var images = vae.DecodeFirstStage(latents.to(ScalarType.Float32), options.SamplesAtATime, options.Tiling);
        return ((images.to(ScalarType.Float32) + 1) / 2).clamp(0, 1).MoveToOuterDisposeScope();
    }
}
