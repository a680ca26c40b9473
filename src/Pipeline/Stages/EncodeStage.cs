using Pipeline.Models.Bundles;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>Encode: RGB images in [0, 1] → latents (VAE posterior mode times the model's scale factor, sgm's img2img), or
/// a TAESD-layout tiny encoder's latents (<see cref="Generation.EncodeOptions.Taesd"/>).</summary>
public static class EncodeStage
{
    /// <summary><paramref name="images01"/> [B, 3, H, W] (B = 1 is repeated to <paramref name="batch"/>) → latents [batch, C, H/f, W/f].</summary>
    public static Tensor Run(SdxlModel model, Tensor images01, int batch, Generation.EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images01);
        if (images01.dim() != 4 || images01.shape[1] != 3)
            throw new ArgumentException($"expected images [B, 3, H, W], got [{string.Join(", ", images01.shape)}]");
        if (images01.shape[0] != 1 && images01.shape[0] != batch)
            throw new ArgumentException($"{images01.shape[0]} input images for batch size {batch}");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (options?.Taesd is { } taesd)
        {
            if (taesd.LatentChannels != model.Config.Vae.EmbedDim)
                throw new ArgumentException($"the TAESD encoder makes {taesd.LatentChannels} latent channels, the model takes {model.Config.Vae.EmbedDim}");
            return taesd.call(images01.to(ScalarType.Float32, model.Device).expand(batch, -1, -1, -1)).MoveToOuterDisposeScope();
        }
        var pixels = (images01.to(ScalarType.Float32, model.Device) * 2 - 1).expand(batch, -1, -1, -1);
        using var posterior = model.FirstStage.Encode(pixels);
        return (posterior.Mode().to(ScalarType.Float32) * model.Config.Vae.ScaleFactor).MoveToOuterDisposeScope();
    }
}
