using static TorchSharp.torch;

namespace Pipeline.Training.World;

/// <summary>Image sharpness for the size-conditioning evaluation.</summary>
public static class Sharpness
{
    /// <summary>
    /// Variance of the 4-neighbour Laplacian (valid region) of the grey image (channel mean), for an image [3, H, W] or
    /// [H, W] in [0, 1]. Blurry (small-original) images score low.
    /// </summary>
    public static double VarianceOfLaplacian(Tensor image)
    {
        if (!(image.dim() == 2 || (image.dim() == 3 && image.shape[0] is 1 or 3)) || image.shape[^1] < 3 || image.shape[^2] < 3)
            throw new ArgumentException($"expected an image [3, H, W], [1, H, W] or [H, W] with H, W ≥ 3; got [{string.Join(", ", image.shape)}]");
        using var _ = NewDisposeScope();
        var grey = (image.dim() == 3 ? image.to(ScalarType.Float32).mean(new long[] { 0 }) : image.to(ScalarType.Float32))
            .reshape(1, 1, image.shape[^2], image.shape[^1]);
        var kernel = tensor(new float[] { 0, 1, 0, 1, -4, 1, 0, 1, 0 }).reshape(1, 1, 3, 3);
        return nn.functional.conv2d(grey, kernel).var().item<float>();
    }
}
