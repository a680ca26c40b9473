using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm <c>AutoencoderKL</c>: encoder → <c>quant_conv</c> → diagonal Gaussian posterior; <c>post_quant_conv</c> →
/// decoder. Field names give the checkpoint keys under <c>first_stage_model.</c>. Built in float32 unless told
/// otherwise, whatever the UNet's dtype (the SDXL VAE overflows in float16); inputs are cast to the VAE's dtype.
/// </summary>
public sealed class AutoencoderKL : nn.Module<Tensor, Tensor>
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;

    public AutoencoderKLConfig Config { get; }

    /// <param name="dtype">parameter dtype; float32 when null (not the torch default dtype).</param>
    public AutoencoderKL(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(AutoencoderKL))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        var type = dtype ?? ScalarType.Float32;
        if (!is_floating_point(type)) throw new ArgumentException($"AutoencoderKL dtype must be floating point, got {type}");
        int factor = config.DoubleZ ? 2 : 1;
        encoder = new Encoder(config, device, type);
        decoder = new Decoder(config, device, type);
        quant_conv = nn.Conv2d(factor * config.ZChannels, factor * config.EmbedDim, 1, device: device, dtype: type);
        post_quant_conv = nn.Conv2d(config.EmbedDim, config.ZChannels, 1, device: device, dtype: type);
        RegisterComponents();
    }

    public ScalarType ComputeDType => quant_conv.weight.dtype;

    /// <summary>Reconstruction through the posterior mode: <c>Decode(Encode(x).Mode())</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var posterior = Encode(x);
        return Decode(posterior.Mean).MoveToOuterDisposeScope();
    }

    /// <summary><c>quant_conv(encoder(x))</c> = [mean | logvar] along channels, in sub-batches of <paramref name="samplesAtATime"/>.</summary>
    public Tensor EncodeMoments(Tensor x, int? samplesAtATime = null, Action<string, Tensor>? observe = null)
    {
        CheckImages(x);
        return InSubBatches(x, samplesAtATime, part =>
        {
            using var scope = NewDisposeScope();
            var h = encoder.Forward(part.to(ComputeDType), observe);
            return Convolutions.Forward(quant_conv, h).MoveToOuterDisposeScope();
        });
    }

    /// <summary>The posterior for images <paramref name="x"/> [B, in_channels, H, W] in [-1, 1] (caller disposes it).</summary>
    public DiagonalGaussianDistribution Encode(Tensor x, int? samplesAtATime = null)
    {
        using var moments = EncodeMoments(x, samplesAtATime);
        return new DiagonalGaussianDistribution(moments);
    }

    /// <summary><c>decoder(post_quant_conv(z))</c> for z [B, embed_dim, h, w], in sub-batches (sgm's en_and_decode_n_samples_a_time).</summary>
    public Tensor Decode(Tensor z, int? samplesAtATime = null, Action<string, Tensor>? observe = null)
    {
        CheckLatents(z);
        return InSubBatches(z, samplesAtATime, part => DecodeOne(part, observe));
    }

    /// <summary>
    /// Decodes in overlapping, blended tiles, so memory depends on the tile, not the image: post_quant_conv, conv_in
    /// and the mid block (latent resolution, global attention) run on the whole latent; the up path runs per tile.
    /// Its GroupNorms share whole-image statistics recorded by <see cref="TiledDecodeSettings.StatisticsPasses"/>
    /// extra tiled passes: after k passes the first k GroupNorm layers of the up path normalise exactly as the
    /// untiled decode does (given an overlap of at least twice the up path's receptive radius, about 12 latent
    /// pixels for SDXL); 0 passes: each tile uses its own statistics.
    /// </summary>
    public Tensor DecodeTiled(Tensor z, TiledDecodeSettings? settings = null, int? samplesAtATime = null)
    {
        CheckLatents(z);
        var tiling = (settings ?? new TiledDecodeSettings()).Validate();
        return InSubBatches(z, samplesAtATime, part => DecodeTiledOne(part, tiling));
    }

    Tensor DecodeTiledOne(Tensor z, TiledDecodeSettings tiling)
    {
        using var scope = NewDisposeScope();
        var h = decoder.Head(Convolutions.Forward(post_quant_conv, z.to(ComputeDType)));
        var tiles = TiledDecoding.Layout((int)h.shape[2], (int)h.shape[3], tiling);
        Dictionary<GroupNorm, (Tensor Mean, Tensor Var)>? shared = null;
        for (int pass = 0; pass < tiling.StatisticsPasses; pass++)
        {
            using var recorder = GroupNormStatistics.Recording(shared);
            foreach (var tile in tiles)
            {
                using var tileScope = NewDisposeScope();
                recorder.SetTile(tile.Core);
                decoder.Tail(TiledDecoding.Slice(h, tile), recorder);
            }
            shared = recorder.Result();   // tensors live in this method's scope
        }
        using var policy = shared is null ? null : GroupNormStatistics.Shared(shared);
        var image = TiledDecoding.Decode((tile, _) => decoder.Tail(tile, policy), h, Config.DownscaleFactor, tiling);
        return image.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// sgm <c>encode_first_stage</c>: <c>scale_factor · z</c>, z sampled from the posterior with noise from
    /// <paramref name="sampleWith"/> (drawn on the CPU), or the posterior mean when null (deterministic).
    /// </summary>
    public Tensor EncodeFirstStage(Tensor images, Generator? sampleWith = null, int? samplesAtATime = null)
    {
        using var scope = NewDisposeScope();
        using var posterior = Encode(images, samplesAtATime);
        var z = sampleWith is null ? posterior.Mean : posterior.Sample(sampleWith);
        return (z * Config.ScaleFactor).MoveToOuterDisposeScope();
    }

    /// <summary>sgm <c>decode_first_stage</c>: <c>Decode(latents / scale_factor)</c>, tiled when <paramref name="tiling"/> is given.</summary>
    public Tensor DecodeFirstStage(Tensor latents, int? samplesAtATime = null, TiledDecodeSettings? tiling = null)
    {
        CheckLatents(latents);
        using var scope = NewDisposeScope();
        var z = latents.to(ComputeDType) / Config.ScaleFactor;
        var images = tiling is null ? Decode(z, samplesAtATime) : DecodeTiled(z, tiling, samplesAtATime);
        return images.MoveToOuterDisposeScope();
    }

    Tensor DecodeOne(Tensor z, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        var h = Convolutions.Forward(post_quant_conv, z.to(ComputeDType));
        return decoder.Forward(h, observe).MoveToOuterDisposeScope();
    }

    static Tensor InSubBatches(Tensor x, int? samplesAtATime, Func<Tensor, Tensor> run)
    {
        if (samplesAtATime is < 1) throw new ArgumentException($"samplesAtATime must be >= 1, got {samplesAtATime}");
        long n = x.shape[0], size = samplesAtATime ?? n;
        if (size >= n) return run(x);
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += size)
            parts.Add(run(x[TensorIndex.Slice(start, Math.Min(n, start + size))]));
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    void CheckImages(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4 || x.shape[1] != Config.InChannels || x.shape[0] < 1)
            throw new ArgumentException($"images must be [B, {Config.InChannels}, H, W], got [{string.Join(", ", x.shape)}]");
    }

    void CheckLatents(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.dim() != 4 || z.shape[1] != Config.EmbedDim || z.shape[0] < 1)
            throw new ArgumentException($"latents must be [B, {Config.EmbedDim}, h, w], got [{string.Join(", ", z.shape)}]");
    }
}
