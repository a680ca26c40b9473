using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The "droplet" measure (StyleGAN's name for it): how much of an activation's energy sits at one position. A network
/// whose GroupNorms see nearly one channel per group can learn to park a huge value at one spot to steer the
/// normalisation statistics; after decoding that spot is a visible speck. Per image, the peak ratio is the largest
/// position's channel energy Σ_c (x − mean_hw x)² over the mean position's: about 1/p for an object covering a share p of
/// the image, hundreds to thousands for a droplet.
/// </summary>
public static class ActivationPeaks
{
    /// <summary>Peak-to-mean ratio of the channel energy of <paramref name="x"/> [B, C, H, W], per image: [B].</summary>
    public static Tensor PeakRatio(Tensor x)
    {
        if (x.dim() != 4) throw new ArgumentException($"expected an activation [B, C, H, W], got [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        var centred = x - x.mean(new long[] { 2, 3 }, keepdim: true);
        var energy = centred.square().sum(1).flatten(1);   // [B, H·W]
        return (energy.amax(new long[] { 1 }) / (energy.mean(new long[] { 1 }) + 1e-12)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Calls <paramref name="onInput"/> with the input of every GroupNorm under <paramref name="root"/> (by module name)
    /// whose activation has at least <paramref name="minPositions"/> positions, until the returned handle is disposed.
    /// The input is the live activation (still in the autograd graph when the forward pass records one).
    /// </summary>
    public static IDisposable ObserveGroupNormInputs(nn.Module root, Action<string, Tensor> onInput, long minPositions = 256)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(onInput);
        var handles = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor?>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor?>>.HookRemover>();
        foreach (var (name, module) in root.named_modules())
        {
            if (module is not GroupNorm norm) continue;
            handles.Add(norm.register_forward_pre_hook((_, x) =>
            {
                if (x.dim() == 4 && x.shape[2] * x.shape[3] >= minPositions) onInput(name, x);
                return x;
            }));
        }
        return new HookRemovers(handles.Select(h => (Action)h.remove).ToList());
    }
}
