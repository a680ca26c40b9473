using Pipeline.Conditioning;
using static TorchSharp.torch;

namespace Pipeline.Training.World;

/// <summary>One rendered scene: <see cref="Image"/> is [3, H, W] float32 in [0, 1] (image convention; the training
/// batch maps it to [-1, 1]). Owns <see cref="Image"/>.</summary>
public sealed record WorldSample(Tensor Image, WorldScene Scene) : IDisposable
{
    public string Caption => Scene.Caption;
    public WorldLabels Labels => Scene.Labels;
    public ImageSize OriginalSize => Scene.Original;
    public CropCoords Crop => Scene.Crop;
    public bool CutByBorder => Scene.CutByBorder;

    public void Dispose() => Image.Dispose();
}
