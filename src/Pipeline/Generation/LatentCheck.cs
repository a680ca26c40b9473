using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>A sampler's result is checked before anything is decoded or written.</summary>
public sealed class SamplerOutputException(string message) : InvalidOperationException(message);

/// <summary>
/// The executor's check of what a phase's sampler returned: the plan's latent shape and finite values. A wrong shape
/// (a plugin sampler that resized) or NaN/Inf (a broken checkpoint, a diverging sampler) fails the run naming the
/// phase and the sampler, so no black or mislabelled image is ever written.
/// </summary>
public static class LatentCheck
{
    /// <summary>Returns <paramref name="latents"/> when it is fine; otherwise disposes it and throws <see cref="SamplerOutputException"/>.</summary>
    public static Tensor Require(Tensor latents, long[] shape, string phase, string? sampler, object? component = null)
    {
        string? problem = null;
        if (!latents.shape.SequenceEqual(shape))
            problem = $"latents of shape [{string.Join(", ", latents.shape)}] where [{string.Join(", ", shape)}] was expected";
        else
        {
            using var scope = NewDisposeScope();
            if (!latents.isfinite().all().item<bool>()) problem = "non-finite values (NaN or Inf): the checkpoint's weights or the sampler diverged";
        }
        if (problem is null) return latents;
        latents.Dispose();
        throw new SamplerOutputException($"the {phase} phase (sampler '{sampler ?? "?"}'{Origin(component)}) returned {problem}; nothing was decoded or written");
    }

    /// <summary>", from Name (file)" for a component outside this library: the plugin that provided it.</summary>
    static string Origin(object? component)
    {
        var assembly = component?.GetType().Assembly;
        if (assembly is null || assembly == typeof(LatentCheck).Assembly || assembly == typeof(Diffusion.Sigmas).Assembly) return "";
        var file = string.IsNullOrEmpty(assembly.Location) ? "" : $" ({assembly.Location})";
        return $", from {assembly.GetName().Name}{file}";
    }
}
