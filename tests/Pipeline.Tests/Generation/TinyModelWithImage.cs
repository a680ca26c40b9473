using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>A tiny random-weight model and a seeded random image [1, 3, H, W] of <see cref="TinyPlans.Size"/>, for the
/// image-to-image test classes.</summary>
public abstract class TinyModelWithImage : IDisposable
{
    protected readonly SdxlModel _model = SdxlModel.Create(TinyModels.Base);
    protected readonly Tensor _image;

    protected TinyModelWithImage(ulong seed)
    {
        using var g = new TorchSharp.torch.Generator(seed);
        _image = rand(new long[] { 1, 3, TinyPlans.Size.Height, TinyPlans.Size.Width }, generator: g);
    }

    public void Dispose()
    {
        _image.Dispose();
        _model.Dispose();
    }
}
