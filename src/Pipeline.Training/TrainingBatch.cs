using Pipeline.Conditioning;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// One training batch, all from one bucket: images [B, 3, H, W] in [-1, 1] (float32, CPU) with their captions and the
/// SDXL micro-conditioning of each sample (original size (h, w) before resizing, crop (top, left), target size = the
/// bucket, aesthetic/quality score for the refiner). Owns <see cref="Images"/>.
/// <para>A <em>deferred</em> batch (<see cref="Deferred"/>) knows its samples' labels and <see cref="ImageKeys"/> but
/// renders its pixels only when <see cref="Images"/> is first read, so a step that needs no pixels (every latent in the
/// <see cref="LatentCache"/>) skips rendering them.</para>
/// </summary>
public sealed record TrainingBatch(
    Tensor Images,
    IReadOnlyList<string> Captions,
    IReadOnlyList<ImageSize> OriginalSizes,
    IReadOnlyList<CropCoords> Crops,
    ImageSize TargetSize,
    IReadOnlyList<double> AestheticScores) : IDisposable
{
    Tensor? _images = Images;
    Func<Tensor>? _render;

    /// <summary>The images; a deferred batch renders them here, once.</summary>
    public Tensor Images
    {
        get => _images ??= Render();
        init { _images = value; _render = null; ImageKeys = null; }   // new pixels: the old keys no longer name them
    }

    /// <summary>
    /// One identity per sample that names its pixels as rendered (two samples with the same key have the same image), or
    /// null when the source gives none. A batch made from this one with other <see cref="Images"/> has none; a consumer
    /// that changes the pixels in place must not keep the keys.
    /// </summary>
    public IReadOnlyList<UInt128>? ImageKeys { get; private init; }

    /// <summary>Whether <see cref="Images"/> exist yet (false for a deferred batch nobody has read the pixels of).</summary>
    public bool IsRendered => _images is not null;

    public int Count => Captions.Count;

    /// <summary>
    /// A batch whose pixels <paramref name="render"/> makes on first use ([B, 3, H, W], B = the captions' count); one key
    /// per sample in <paramref name="imageKeys"/>.
    /// </summary>
    public static TrainingBatch Deferred(Func<Tensor> render, IReadOnlyList<UInt128> imageKeys, IReadOnlyList<string> captions,
        IReadOnlyList<ImageSize> originalSizes, IReadOnlyList<CropCoords> crops, ImageSize targetSize, IReadOnlyList<double> aestheticScores)
    {
        ArgumentNullException.ThrowIfNull(render);
        ArgumentNullException.ThrowIfNull(imageKeys);
        ArgumentNullException.ThrowIfNull(captions);
        if (imageKeys.Count != captions.Count)
            throw new ArgumentException($"a deferred batch of {captions.Count} captions has {imageKeys.Count} image keys");
        return new TrainingBatch(null!, captions, originalSizes, crops, targetSize, aestheticScores) { _render = render, ImageKeys = imageKeys };
    }

    Tensor Render()
    {
        var render = _render ?? throw new InvalidOperationException("the batch has no images");
        var images = render();
        if (images.dim() != 4 || images.shape[0] != Count)
        {
            var message = $"a deferred batch of {Count} samples rendered images [{string.Join(", ", images.shape)}]";
            images.Dispose();
            throw new InvalidOperationException(message);
        }
        return images;
    }

    bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Count = {Count}, TargetSize = {TargetSize}, IsRendered = {IsRendered}, ImageKeys = {(ImageKeys is null ? "none" : ImageKeys.Count.ToString())}");
        return true;
    }

    public void Dispose() => _images?.Dispose();
}

/// <summary>A deterministic stream of batches: batch <c>i</c> depends only on the source's seed and <c>i</c> (so resume is exact).</summary>
public interface ITrainingData
{
    TrainingBatch Batch(long index);
}
