using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Runtime;

/// <summary>
/// Tensor sums without a temporary <see cref="Scalar"/>. TorchSharp 0.107's <c>a + b</c>, <c>add(b)</c> and <c>add_(b)</c>
/// pass alpha = 1 as a new <see cref="Scalar"/> (its <c>sub</c> takes none) that nothing keeps alive during the
/// native call, so a garbage collection started by another thread can let its finaliser free it while libtorch reads
/// it: the "libtorch failed in a step" of long trainings (models/README.md, Training). These pass one Scalar that lives
/// as long as the process (never disposed, so never finalised). The models' residual sums use it.
/// </summary>
public static class TensorMath
{
    static readonly Scalar One = 1.0.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/> (broadcasting as <c>add</c>).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
