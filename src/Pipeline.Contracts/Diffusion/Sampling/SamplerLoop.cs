using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// The loop every built-in sampler shares: starts from the caller's x (already at σ₀, k-diffusion's convention; never
/// rescaled or mutated), runs one dispose scope per step (only the new x, and whatever the step keeps with <see cref="Keep"/>, leaves it),
/// checks cancellation between steps and reports each step.
/// </summary>
public static class SamplerLoop
{
    /// <summary>One step from sigmas[i] to sigmas[i+1]: returns the new x and the denoised estimate it used.</summary>
    public delegate (Tensor X, Tensor Denoised) Step(int i, Tensor x);

    /// <summary>
    /// Runs <paramref name="step"/> for i = 0 … sigmas.Steps − 1 from <paramref name="input"/> (not modified or disposed),
    /// reporting each step to <paramref name="options"/> and checking its cancellation between steps; returns the final x.
    /// </summary>
    public static Tensor Run(Tensor input, Sigmas sigmas, SamplingOptions? options, Step step)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sigmas);
        options ??= SamplingOptions.None;
        using var outer = NewDisposeScope();
        var x = input.alias();
        for (int i = 0; i < sigmas.Steps; i++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (next, denoised) = step(i, x);
            options.OnStep?.Invoke(new SamplerStep(i, sigmas.Steps, sigmas[i], sigmas[i + 1], next, denoised));
            next.MoveToOuterDisposeScope();
            x.Dispose();
            x = next;
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Keeps a tensor beyond the current step (multistep history); dispose it when it is evicted.</summary>
    public static Tensor Keep(Tensor t) => t.MoveToOuterDisposeScope();
}
