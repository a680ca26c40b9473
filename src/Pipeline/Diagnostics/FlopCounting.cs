using Pipeline.Models.TextEncoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Diagnostics;

/// <summary>FLOP counts (2 per multiply-add) for the benchmarks.</summary>
public static class FlopCounting
{
    /// <summary>
    /// Counts the convolutions and linear layers a forward pass runs, from their weights and output shapes, through
    /// forward hooks on every Conv2d/Linear of <paramref name="root"/> (and <see cref="Pipeline.Models.Convolutions.ObservePadded"/>
    /// for the convolutions that run on padded channels, past hooks). Attention matmuls are not included.
    /// </summary>
    public static long CountConvAndLinear(nn.Module root, Action run)
    {
        long total = 0;
        var removers = new List<Action>();
        var convs = new HashSet<Conv2d>(ReferenceEqualityComparer.Instance);
        void CountConv(Conv2d conv, Tensor output)
        {
            var w = conv.weight!.shape; // [out, in/groups, kh, kw]
            total += 2 * output.numel() * w[1] * w[2] * w[3];
        }
        var padded = Pipeline.Models.Convolutions.ObservePadded((conv, output) => { if (convs.Contains(conv)) CountConv(conv, output); });
        removers.Add(padded.Dispose);
        foreach (var (_, m) in root.named_modules())
        {
            if (m is Conv2d conv)
            {
                convs.Add(conv);
                var hook = conv.register_forward_hook((_, _, output) =>
                {
                    CountConv(conv, output);
                    return output;
                });
                removers.Add(hook.remove);
            }
            else if (m is Linear linear)
            {
                var hook = linear.register_forward_hook((_, _, output) =>
                {
                    total += 2 * output.numel() * linear.weight!.shape[1];
                    return output;
                });
                removers.Add(hook.remove);
            }
        }
        try { run(); }
        finally { foreach (var remove in removers) remove(); }
        return total;
    }

    /// <summary>A CLIP text transformer over <paramref name="batch"/> × 77 tokens through <paramref name="layers"/> layers.</summary>
    public static long TextEncoder(ClipTextConfig c, int batch, int layers, int tokens = 77)
    {
        long d = c.Width, i = c.IntermediateSize;
        long perLayer = tokens * (4 * d * d + 2 * d * i) + 2L * tokens * tokens * d;
        return 2 * batch * layers * perLayer;
    }
}
