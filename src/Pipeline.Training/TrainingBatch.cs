using Pipeline.Conditioning;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// One training batch, all from one bucket: images [B, 3, H, W] in [-1, 1] (float32, CPU) with their captions and the
/// SDXL micro-conditioning of each sample (original size (h, w) before resizing, crop (top, left), target size = the
/// bucket, aesthetic/quality score for the refiner). Owns <see cref="Images"/>.
/// </summary>
public sealed record TrainingBatch(
    Tensor Images,
    IReadOnlyList<string> Captions,
    IReadOnlyList<ImageSize> OriginalSizes,
    IReadOnlyList<CropCoords> Crops,
    ImageSize TargetSize,
    IReadOnlyList<double> AestheticScores) : IDisposable
{
    public int Count => (int)Images.shape[0];

    public void Dispose() => Images.Dispose();
}

/// <summary>A deterministic stream of batches: batch <c>i</c> depends only on the source's seed and <c>i</c> (so resume is exact).</summary>
public interface ITrainingData
{
    TrainingBatch Batch(long index);
}
