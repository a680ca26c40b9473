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
/// detached from every dispose scope and freed by <see cref="Dispose"/>. Thread-safe: an image another thread is
/// encoding (a <see cref="LatentPrefetcher"/>) is waited for, never encoded twice.
/// </summary>
public sealed class LatentCache : IDisposable
{
    readonly Dictionary<UInt128, Tensor> _moments = new();
    readonly HashSet<UInt128> _encoding = new();   // claimed by a thread that is encoding them
    readonly object _gate = new();

    /// <param name="capacity">the most images held (≥ 1)</param>
    public LatentCache(long capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a latent cache holds at least one image");
        Capacity = capacity;
    }

    public long Capacity { get; }

    /// <summary>Images held.</summary>
    public int Count { get { lock (_gate) return _moments.Count; } }

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

    /// <summary>
    /// Encodes and stores the images of <paramref name="batch"/> not held yet, as <see cref="Moments(TrainingBatch, Func{Tensor, Tensor})"/>
    /// would (the same call on the same images, so the same bytes), without returning them: what a
    /// <see cref="LatentPrefetcher"/> does ahead of the training loop. False when the cache is full (nothing was encoded).
    /// </summary>
    public bool Warm(TrainingBatch batch, Func<Tensor, Tensor> encodeMoments)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate) if (_moments.Count >= Capacity) return false;
        var keys = batch.ImageKeys is { } k ? k.ToArray() : Keys(CheckImages(batch.Images));
        using var none = Fill(keys, () => CheckImages(batch.Images), encodeMoments, wantResult: false);
        return true;
    }

    Tensor Moments(UInt128[] keys, Func<Tensor> imagesOf, Func<Tensor, Tensor> encodeMoments) =>
        Fill(keys, imagesOf, encodeMoments, wantResult: true)!;

    /// <summary>
    /// Claims the images of <paramref name="keys"/> neither held nor being encoded (first waiting for those another thread
    /// is encoding), encodes them together in batch order, stores them, and returns the batch's moments when
    /// <paramref name="wantResult"/>. Encoding runs outside the lock, so a prefetching thread and the training loop overlap.
    /// </summary>
    Tensor? Fill(UInt128[] keys, Func<Tensor> imagesOf, Func<Tensor, Tensor> encodeMoments, bool wantResult)
    {
        ArgumentNullException.ThrowIfNull(encodeMoments);
        int[] missing;
        lock (_gate)
        {
            while (keys.Any(_encoding.Contains)) Monitor.Wait(_gate);
            missing = Enumerable.Range(0, keys.Length).Where(i => !_moments.ContainsKey(keys[i])).ToArray();
            if (wantResult) Hits += keys.Length - missing.Length;
            Misses += missing.Length;
            foreach (var i in missing) _encoding.Add(keys[i]);
        }
        using var scope = NewDisposeScope();
        Tensor? encoded = null;
        try
        {
            if (missing.Length > 0)
            {
                var images = imagesOf();
                if (images.shape[0] != keys.Length) throw new ArgumentException($"{keys.Length} image keys for {images.shape[0]} images");
                var toEncode = missing.Length == keys.Length ? images : images.index_select(0, tensor(missing.Select(i => (long)i).ToArray(), device: images.device));
                encoded = encodeMoments(toEncode);
                if (encoded.dim() != 4 || encoded.shape[0] != missing.Length)
                    throw new InvalidOperationException($"the encoder returned moments [{string.Join(", ", encoded.shape)}] for {missing.Length} images");
                lock (_gate)
                    for (int j = 0; j < missing.Length && _moments.Count < Capacity; j++)
                        _moments.TryAdd(keys[missing[j]], encoded[j].clone().DetachFromDisposeScope());
                if (!wantResult) return null;
                if (missing.Length == keys.Length) return encoded.MoveToOuterDisposeScope();
            }
            if (!wantResult) return null;
            var rows = new Tensor[keys.Length];
            lock (_gate)
                for (int i = 0, j = 0; i < keys.Length; i++)
                    rows[i] = j < missing.Length && missing[j] == i ? encoded![j++] : _moments[keys[i]];
            return stack(rows).MoveToOuterDisposeScope();
        }
        finally
        {
            lock (_gate)
            {
                foreach (var i in missing) _encoding.Remove(keys[i]);
                Monitor.PulseAll(_gate);
            }
        }
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
        lock (_gate)
        {
            foreach (var m in _moments.Values) m.Dispose();
            _moments.Clear();
        }
    }
}
