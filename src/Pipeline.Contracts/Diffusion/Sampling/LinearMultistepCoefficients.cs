namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Coefficients of the linear multistep method: ∫ from t_i to t_{i+1} of the Lagrange basis polynomial ℓ_j
/// through t_i, t_{i−1}, …, t_{i−order+1}. sgm/k-diffusion integrate numerically (SciPy quad); the integrand is
/// a polynomial of degree order−1, so Gauss–Legendre with enough nodes gives the same value exactly.
/// Node differences t_{i−j} − t_{i−k} are formed in float32, as the originals do with float32 sigmas.
/// </summary>
public static class LinearMultistepCoefficients
{
    // 8-point Gauss–Legendre: exact for polynomials up to degree 15 (order ≤ 16).
    static readonly double[] Nodes =
    {
        -0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
        0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363,
    };
    static readonly double[] Weights =
    {
        0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
        0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
    };

    /// <summary>The highest order the quadrature integrates exactly.</summary>
    public const int MaxOrder = 16;

    /// <summary>
    /// c_j of step <paramref name="i"/> for the given <paramref name="order"/>: the weight of the derivative
    /// <paramref name="j"/> steps back (0 = the current one) over the nodes <paramref name="t"/> (the sigmas).
    /// </summary>
    public static double Coefficient(int order, IReadOnlyList<float> t, int i, int j)
    {
        if (order < 1 || order > MaxOrder) throw new ArgumentOutOfRangeException(nameof(order), $"order must be in [1, {MaxOrder}], got {order}");
        if (order - 1 > i) throw new ArgumentException($"order {order} needs {order - 1} previous steps, step {i} has {i}");
        if (j < 0 || j >= order) throw new ArgumentOutOfRangeException(nameof(j), $"j must be in [0, {order}), got {j}");
        double Basis(double tau)
        {
            double product = 1.0;
            for (int k = 0; k < order; k++)
            {
                if (k == j) continue;
                product *= (tau - t[i - k]) / (float)(t[i - j] - t[i - k]);
            }
            return product;
        }
        double a = t[i], b = t[i + 1], half = (b - a) / 2, mid = (a + b) / 2, sum = 0;
        for (int n = 0; n < Nodes.Length; n++) sum += Weights[n] * Basis(mid + half * Nodes[n]);
        return sum * half;
    }
}
