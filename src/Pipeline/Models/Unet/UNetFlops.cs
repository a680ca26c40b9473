namespace Pipeline.Models.Unet;

/// <summary>
/// Floating-point operations of one UNet evaluation, 2 per multiply-add, split by kind: convolutions, linear
/// layers (incl. q/k/v/out projections and the feed-forwards), and the two attention matmuls (q·kᵀ and
/// weights·v). Norms, activations, softmax, resizing, additions and biases are not counted (a few percent).
/// </summary>
public sealed record UNetFlops(long Convolution, long Linear, long Attention)
{
    public long Total => Convolution + Linear + Attention;

    /// <summary>
    /// Counts one forward of <paramref name="config"/> on latents [<paramref name="batch"/>, C, <paramref name="height"/>,
    /// <paramref name="width"/>] with a context of <paramref name="contextLength"/> tokens, following the same
    /// block plan and the same sizes (⌈h/2⌉ per downsample, upsample to the skip's size) as <see cref="UNetModel"/>.
    /// </summary>
    public static UNetFlops Count(UNetConfig config, int batch, int height, int width, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (batch < 1 || height < 1 || width < 1)
            throw new ArgumentException($"batch, height and width must be >= 1 (got {batch}, {height}, {width})");
        if (contextLength < (config.ContextDim is null ? 0 : 1))
            throw new ArgumentException($"contextLength must be >= 1 for a UNet with cross-attention (got {contextLength})");
        var plan = UNetPlan.Build(config);
        long b = batch, ted = config.TimeEmbedDim;
        long conv = 0, linear = 0, attention = 0;

        long Conv(long pixels, long cin, long cout, long k) => 2 * b * pixels * cin * cout * k * k;
        long Dense(long rows, long fin, long fout) => 2 * b * rows * fin * fout;

        linear += Dense(1, config.ModelChannels, ted) + Dense(1, ted, ted);
        if (config.AdmInChannels is { } adm) linear += Dense(1, adm, ted) + Dense(1, ted, ted);

        void Layer(UNetLayerSpec spec, ref (long H, long W) size, (long H, long W)? upsampleTo)
        {
            long n = size.H * size.W;
            switch (spec)
            {
                case StemConvSpec s:
                    conv += Conv(n, s.InChannels, s.OutChannels, 3);
                    break;
                case ResBlockSpec r:
                    conv += Conv(n, r.InChannels, r.OutChannels, 3) + Conv(n, r.OutChannels, r.OutChannels, 3);
                    if (r.InChannels != r.OutChannels) conv += Conv(n, r.InChannels, r.OutChannels, 1);
                    linear += Dense(1, ted, r.OutChannels);
                    break;
                case SpatialTransformerSpec t:
                {
                    long c = t.Channels, inner = t.InnerDim;
                    long projections = Dense(n, c, inner) + Dense(n, inner, c);
                    if (config.UseLinearInTransformer) linear += projections; else conv += projections;
                    foreach (var ctx in t.ContextDims)
                    {
                        long m = ctx is null ? n : contextLength, ctxDim = ctx ?? inner;
                        linear += 4 * Dense(n, inner, inner);                           // attn1 q, k, v, out
                        linear += 2 * Dense(n, inner, inner) + 2 * Dense(m, ctxDim, inner); // attn2 q, out; k, v
                        linear += Dense(n, inner, 8 * inner) + Dense(n, 4 * inner, inner);  // GEGLU proj, ff out
                        attention += 2 * Dense(n, n, inner) + 2 * Dense(n, m, inner);   // q·kᵀ and weights·v, self and cross
                    }
                    break;
                }
                case DownsampleSpec d:
                    size = ((size.H + 1) / 2, (size.W + 1) / 2);
                    conv += Conv(size.H * size.W, d.Channels, d.Channels, 3);
                    break;
                case UpsampleSpec u:
                    size = upsampleTo ?? (size.H * 2, size.W * 2);
                    conv += Conv(size.H * size.W, u.Channels, u.Channels, 3);
                    break;
                default:
                    throw new InvalidOperationException($"unknown layer {spec}");
            }
        }

        var current = ((long)height, (long)width);
        var skips = new List<(long H, long W)>();
        foreach (var block in plan.InputBlocks)
        {
            foreach (var layer in block) Layer(layer, ref current, null);
            skips.Add(current);
        }
        foreach (var layer in plan.MiddleBlock) Layer(layer, ref current, null);
        foreach (var block in plan.OutputBlocks)
        {
            skips.RemoveAt(skips.Count - 1);
            (long, long)? next = skips.Count > 0 ? skips[^1] : null;
            foreach (var layer in block) Layer(layer, ref current, next);
        }
        conv += Conv(current.Item1 * current.Item2, config.ModelChannels, config.OutChannels, 3);
        return new UNetFlops(conv, linear, attention);
    }
}
