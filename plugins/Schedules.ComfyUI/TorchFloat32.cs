namespace Schedules.ComfyUI;

/// <summary>
/// The float32 arithmetic of the reference schedules, reproduced on scalars so results match bit for bit (up to
/// the last-ulp differences of exp/pow/tan between math libraries).
/// </summary>
static class TorchFloat32
{
    /// <summary>
    /// <c>torch.linspace(start, end, n)</c> in float32 on the CPU: step = (end − start)/(n − 1) in float32, element i
    /// is start + step·i for i &lt; n/2 and end − step·(n − 1 − i) above; a single point is <paramref name="start"/>.
    /// </summary>
    public static float[] Linspace(float start, float end, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"need at least one point, got {n}");
        if (n == 1) return new[] { start };
        float step = (end - start) / (n - 1);
        int half = n / 2;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i < half ? start + step * i : end - step * (n - 1 - i);
        return values;
    }

    /// <summary><c>tensor ** exponent</c> for a float32 tensor: 1 and 2 exactly (x, x·x), otherwise powf.</summary>
    public static float Pow(float x, double exponent) => exponent switch
    {
        1.0 => x,
        2.0 => x * x,
        _ => MathF.Pow(x, (float)exponent),
    };
}
