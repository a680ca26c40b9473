using Pipeline.Conditioning;
using Pipeline.Models.Bundles;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// Peak resident memory of one generation, estimated from the model config alone (no weights read), so that a size,
/// batch or dtype that cannot fit is refused before anything is loaded:
/// <c>Peak = Runtime + WeightSlack × Weights + Slack × max(UNet activations, decode activations)</c>.
/// <list type="bullet">
/// <item><b>Weights</b>: the modules built on the meta device (as <see cref="SdxlModel.Load"/> does), Σ numel × element
/// size; conditioner and UNet in the compute dtype, the VAE in float32 (as loaded).</item>
/// <item><b>UNet</b> (batch B = images × 2 under CFG): every skip tensor the input blocks keep for the output blocks, plus
/// the largest single layer: a ResBlock holds ≈ B·n·2·(2·c_in + 3·c_out) elements (input, norm, SiLU, conv, skip
/// conv, doubled for oneDNN's blocked-layout copies);
/// a transformer block ≈ B·n·(c + 17·inner) (the GEGLU feed-forward's 8·inner projection, its two 4·inner halves,
/// the input and q/k/v), with q/k/v/out in float32 for half models (attention runs in float32). Attention scores
/// B·heads·n·m are counted only when <see cref="ScoresMaterialised"/>: libtorch's CPU SDPA (flash kernel, no mask)
/// works in blocks and never holds them.</item>
/// <item><b>Decode</b> (float32, the decoder's sub-batch): the largest decoder layer at its resolution (the full
/// resolution levels dominate: ≈ b·H·W·2·(2·c_in + 3·c_out)), plus the finished images of the whole batch. Tiled
/// decoding runs conv_in and the mid block on the whole latent and the rest on one tile.</item>
/// <item><b>Runtime</b>: .NET, libtorch and its thread pools, measured at 290 MiB on the embedded model (64², VmHWM).</item>
/// </list>
/// Measured against VmHWM in the README ("Memory estimate"): Slack covers the allocator's fragmentation and the
/// temporaries around the largest layer; WeightSlack the weights' allocation overhead and kernels' transient weight
/// copies (SDXL base in bf16: VmHWM 7819 MiB at 256², 9383 MiB at 512², for 6775 MiB of weights).
/// </summary>
public sealed record MemoryEstimate(long Runtime, long Weights, long UNetActivations, long DecodeActivations)
{
    public const long RuntimeBytes = 290L << 20;
    public const double Slack = 1.25;
    public const double WeightSlack = 1.08;

    /// <summary>Whether the attention path holds full score matrices (false for libtorch's CPU flash SDPA).</summary>
    public const bool ScoresMaterialised = false;

    public long Activations => (long)(Slack * Math.Max(UNetActivations, DecodeActivations));
    public long Peak => Runtime + (long)(WeightSlack * Weights) + Activations;

    /// <summary>
    /// The estimate for <paramref name="batch"/> images of <paramref name="size"/> with <paramref name="config"/> in
    /// <paramref name="dtype"/>; <paramref name="guided"/>: CFG (two UNet rows per image); <paramref name="refiner"/>:
    /// loaded alongside (its weights add, its UNet runs after the base's).
    /// </summary>
    public static MemoryEstimate For(SdxlModelConfig config, ImageSize size, int batch, ScalarType dtype, bool guided = true,
        DecodeOptions? decode = null, SdxlModelConfig? refiner = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (batch < 1 || size.Height < 1 || size.Width < 1)
            throw new ArgumentException($"batch and size must be positive (got {batch}, {size.Width}x{size.Height})");
        decode ??= DecodeOptions.Default;
        int f = config.Vae.DownscaleFactor;
        long latentH = (size.Height + f - 1) / f, latentW = (size.Width + f - 1) / f;
        long rows = (long)batch * (guided ? 2 : 1);
        long unet = UNetBytes(config.UNet, rows, latentH, latentW, dtype);
        long weights = WeightBytes(config, dtype);
        if (refiner is not null)
        {
            unet = Math.Max(unet, UNetBytes(refiner.UNet, rows, latentH, latentW, dtype));
            weights += WeightBytes(refiner, dtype);
        }
        int decodeBatch = Math.Min(batch, decode.SamplesAtATime ?? batch);
        long vae = DecodeBytes(config.Vae, decodeBatch, latentH, latentW, decode.Tiling)
            + 4L * batch * config.Vae.OutCh * latentH * f * latentW * f;
        return new MemoryEstimate(RuntimeBytes, weights, unet, vae);
    }

    /// <summary>
    /// The estimate with adapters merged for the run: the merge keeps a copy of every weight it touches (to restore it
    /// bit for bit), in <paramref name="dtype"/>; its float32 temporaries are per weight and gone before sampling.
    /// </summary>
    public MemoryEstimate WithMergedAdapters(IEnumerable<Adapters.AdapterUse> uses, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(uses);
        long elementSize = dtype switch { ScalarType.Float32 => 4, ScalarType.Float64 => 8, _ => 2 };
        long copies = uses.SelectMany(u => u.Adapter.Modules).Select(m => m.Target)
            .DistinctBy(t => t.Parameter)
            .Sum(t => t.ParameterShape.Aggregate(1L, (a, b) => a * b) * elementSize);
        return this with { Weights = Weights + copies };
    }

    /// <summary>Bytes of every parameter and buffer, from the modules built on the meta device (nothing allocated).</summary>
    public static long WeightBytes(SdxlModelConfig config, ScalarType dtype)
    {
        using var conditioner = new GeneralConditioner(config.Conditioner, META, dtype);
        using var network = new UNetModel(config.UNet, META, dtype);
        using var vae = new AutoencoderKL(config.Vae, META, ScalarType.Float32);
        static long Bytes(nn.Module m) =>
            m.parameters().Sum(p => p.numel() * p.ElementSize) + m.buffers().Sum(b => b.numel() * b.ElementSize);
        return Bytes(conditioner) + Bytes(network) + Bytes(vae);
    }

    /// <summary>
    /// Feature maps alive in a residual conv block per position: input, GroupNorm/SiLU output, conv output, skip and sum
    /// (2·c_in + 3·c_out), doubled for the copies oneDNN's convolutions make in their blocked layout (measured: the SDXL
    /// VAE decoder at 512² peaks at ≈ 2.1× the single count).
    /// </summary>
    static long ConvBlockMaps(long cin, long cout) => 2 * (2 * cin + 3 * cout);

    static long ElementSize(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : dtype == ScalarType.Float64 ? 8 : 2;

    /// <summary>Skips kept by the input blocks + the largest layer's working set, in bytes.</summary>
    static long UNetBytes(UNetConfig config, long b, long height, long width, ScalarType dtype)
    {
        var plan = UNetPlan.Build(config);
        long e = ElementSize(dtype), largest = 0, skips = 0;
        void Layer(UNetLayerSpec spec, ref (long H, long W) size, (long H, long W)? upsampleTo)
        {
            long n = size.H * size.W;
            long bytes = spec switch
            {
                StemConvSpec s => b * n * (s.InChannels + s.OutChannels) * e,
                ResBlockSpec r => b * n * ConvBlockMaps(r.InChannels, r.OutChannels) * e,
                SpatialTransformerSpec t => b * n * (t.Channels + 17L * t.InnerDim) * e
                    + (e == 4 ? 0 : 4 * b * n * 4L * t.InnerDim)
                    + (ScoresMaterialised ? 4 * b * t.Heads * n * t.ContextDims.Max(c => c is null ? n : 77L) : 0),
                _ => 0,
            };
            if (spec is DownsampleSpec d) { size = ((size.H + 1) / 2, (size.W + 1) / 2); bytes = b * (n + size.H * size.W) * d.Channels * e; }
            if (spec is UpsampleSpec u) { size = upsampleTo ?? (size.H * 2, size.W * 2); bytes = 6 * b * size.H * size.W * u.Channels * e; }
            largest = Math.Max(largest, bytes);
        }
        long Channels(IReadOnlyList<UNetLayerSpec> block, long current) => block.Aggregate(current, (c, l) => l switch
        {
            StemConvSpec s => s.OutChannels, ResBlockSpec r => r.OutChannels, _ => c,
        });
        var current = (height, width);
        long channels = config.InChannels;
        var sizes = new List<(long H, long W)>();
        foreach (var block in plan.InputBlocks)
        {
            foreach (var layer in block) Layer(layer, ref current, null);
            channels = Channels(block, channels);
            skips += b * current.Item1 * current.Item2 * channels * e;
            sizes.Add(current);
        }
        foreach (var layer in plan.MiddleBlock) Layer(layer, ref current, null);
        foreach (var block in plan.OutputBlocks)
        {
            sizes.RemoveAt(sizes.Count - 1);
            (long, long)? next = sizes.Count > 0 ? sizes[^1] : null;
            foreach (var layer in block) Layer(layer, ref current, next);
        }
        return skips + largest;
    }

    /// <summary>The decoder's largest layer in bytes (float32), whole image or one tile.</summary>
    static long DecodeBytes(AutoencoderKLConfig config, long b, long latentH, long latentW, TiledDecodeSettings? tiling)
    {
        const long e = 4;
        long headN = latentH * latentW;
        int blockIn = config.Ch * config.ChMult[^1];
        // conv_in + mid block (2 ResnetBlocks and one single-head attention over all positions), always the whole latent.
        long largest = b * headN * ConvBlockMaps(blockIn, blockIn) * e + (ScoresMaterialised ? b * headN * headN * e : 0);
        long h = tiling is null ? latentH : Math.Min(latentH, tiling.TileSize), w = tiling is null ? latentW : Math.Min(latentW, tiling.TileSize);
        for (int level = config.Levels - 1; level >= 0; level--)
        {
            int blockOut = config.Ch * config.ChMult[level];
            largest = Math.Max(largest, b * h * w * ConvBlockMaps(blockIn, blockOut) * e);
            blockIn = blockOut;
            if (level != 0)
            {
                h *= 2; w *= 2;
                largest = Math.Max(largest, b * h * w * 6L * blockIn * e);
            }
        }
        return largest;
    }

    /// <summary>Why this does not fit in <paramref name="available"/> bytes and what lowers it; null when it fits.</summary>
    /// <param name="canTile">Whether the caller can switch to tiled decoding (suggested when the decoder dominates).</param>
    public string? Problem(long available, ImageSize size, int batch, ScalarType dtype, bool canTile, string tilingHint = "tiled VAE decoding (DecodeOptions.Tiling)")
    {
        if (Peak <= available) return null;
        var lower = new List<string> { "a smaller --width/--height", batch > 1 ? "a smaller --batch" : null! };
        if (dtype == ScalarType.Float32) lower.Add("--dtype bf16 (halves the weights and the UNet's activations)");
        if (canTile && DecodeActivations > UNetActivations) lower.Add(tilingHint);
        return $"{size.Width}x{size.Height} × {batch} needs about {Mib(Peak)} " +
               $"(weights {Mib((long)(WeightSlack * Weights))}, activations {Mib(Activations)}, runtime {Mib(Runtime)}) but {Mib(available)} is available; " +
               $"try {string.Join(", ", lower.Where(l => l is not null))}";
    }

    static string Mib(long bytes) => bytes >= 10L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB" : $"{bytes >> 20} MiB";
}
