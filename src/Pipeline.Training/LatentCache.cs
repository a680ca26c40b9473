using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The frozen VAE's posterior moments of training images it has already encoded (what diffusers' <c>--cache_latents</c>
/// does for fine-tuning): each image is keyed by its batch's <see cref="TrainingBatch.ImageKeys"/> (the shape world's
/// scene identities: a batch whose images are all held is never rendered) or else by a SHA-256 of its shape and
/// pixels, and an image seen again is not
/// encoded again — its stored moments give the same posterior, and the latent is still sampled from it afresh each time
/// (sgm's training samples the posterior every step, so caching the moments, not a sample, changes nothing). Images not
/// seen before are encoded together in one call, in their batch order, and stored while fewer than
/// <see cref="Capacity"/> images are held; once full, new images are encoded every time. The stored moments are
/// detached from every dispose scope and freed by <see cref="Dispose"/>.
/// </summary>
public sealed class LatentCache : IDisposable
{
    readonly Dictionary<UInt128, Tensor> _moments = new();

    /// <param name="capacity">the most images held (≥ 1)</param>
    public LatentCache(long capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a latent cache holds at least one image");
        Capacity = capacity;
    }

    public long Capacity { get; }

    /// <summary>Images held.</summary>
    public int Count => _moments.Count;

    /// <summary>Images answered from the cache / handed to the encoder, over the cache's life.</summary>
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    /// <summary>
    /// The moments [B, 2C, h, w] of <paramref name="images"/> [B, C, H, W] (any device; hashed on the CPU): stored rows
    /// for images seen before, <paramref name="encodeMoments"/> of the others (called once, with those images in batch
    /// order, only if there are any). The caller owns the result.
    /// </summary>
    public Tensor Moments(Tensor images, Func<Tensor, Tensor> encodeMoments)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckImages(images);
        return Moments(Keys(images), () => images, encodeMoments);
    }

    /// <summary>
    /// The moments of <paramref name="batch"/>'s images: keyed by its <see cref="TrainingBatch.ImageKeys"/> when it has
    /// them — then a batch whose images are all held is answered without reading (so without rendering) its pixels —
    /// else by hashing the pixels as <see cref="Moments(Tensor, Func{Tensor, Tensor})"/> does.
    /// </summary>
    public Tensor Moments(TrainingBatch batch, Func<Tensor, Tensor> encodeMoments)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.ImageKeys is { } keys
            ? Moments(keys.ToArray(), () => CheckImages(batch.Images), encodeMoments)
            : Moments(batch.Images, encodeMoments);
    }

    Tensor Moments(UInt128[] keys, Func<Tensor> imagesOf, Func<Tensor, Tensor> encodeMoments)
    {
        ArgumentNullException.ThrowIfNull(encodeMoments);
        var missing = Enumerable.Range(0, keys.Length).Where(i => !_moments.ContainsKey(keys[i])).ToArray();
        Hits += keys.Length - missing.Length;
        Misses += missing.Length;
        using var scope = NewDisposeScope();
        Tensor? encoded = null;
        if (missing.Length > 0)
        {
            var images = imagesOf();
            if (images.shape[0] != keys.Length) throw new ArgumentException($"{keys.Length} image keys for {images.shape[0]} images");
            var toEncode = missing.Length == keys.Length ? images : images.index_select(0, tensor(missing.Select(i => (long)i).ToArray(), device: images.device));
            encoded = encodeMoments(toEncode);
            if (encoded.dim() != 4 || encoded.shape[0] != missing.Length)
                throw new InvalidOperationException($"the encoder returned moments [{string.Join(", ", encoded.shape)}] for {missing.Length} images");
            for (int j = 0; j < missing.Length && _moments.Count < Capacity; j++)
                _moments.TryAdd(keys[missing[j]], encoded[j].clone().DetachFromDisposeScope());
            if (missing.Length == keys.Length) return encoded.MoveToOuterDisposeScope();
        }
        var rows = new Tensor[keys.Length];
        for (int i = 0, j = 0; i < keys.Length; i++)
            rows[i] = j < missing.Length && missing[j] == i ? encoded![j++] : _moments[keys[i]];
        return stack(rows).MoveToOuterDisposeScope();
    }

    static Tensor CheckImages(Tensor images) =>
        images.dim() == 4 ? images : throw new ArgumentException($"images must be [B, C, H, W], got [{string.Join(", ", images.shape)}]");

    /// <summary>One key per image: SHA-256 (first 128 bits) of its shape, dtype and bytes (one hasher, reset per image).</summary>
    static UInt128[] Keys(Tensor images)
    {
        using var cpu = images.to(CPU).contiguous();
        var keys = new UInt128[cpu.shape[0]];
        var header = System.Text.Encoding.ASCII.GetBytes($"{cpu.dtype}[{string.Join(",", cpu.shape.Skip(1))}]");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> digest = stackalloc byte[32];
        for (int i = 0; i < keys.Length; i++)
        {
            using var image = cpu[i];
            hash.AppendData(header);
            hash.AppendData(image.bytes);
            hash.GetHashAndReset(digest);
            keys[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(digest);
        }
        return keys;
    }

    public void Dispose()
    {
        foreach (var m in _moments.Values) m.Dispose();
        _moments.Clear();
    }
}
