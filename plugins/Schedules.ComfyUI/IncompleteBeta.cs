namespace Schedules.ComfyUI;

/// <summary>
/// The regularised incomplete beta function I_x(a, b) and its inverse in x (the quantile function of the Beta(a, b)
/// distribution, SciPy's <c>scipy.stats.beta.ppf</c>). I_x is evaluated with its continued fraction (modified
/// Lentz; on the side of the mean where it converges fast, using I_x(a, b) = 1 − I_{1−x}(b, a) on the other); the
/// inverse is Newton's method on I_x − p safeguarded by bisection, to about 1e-15.
/// </summary>
public static class IncompleteBeta
{
    /// <summary>I_x(a, b) for 0 ≤ x ≤ 1, a, b &gt; 0.</summary>
    public static double Regularized(double x, double a, double b)
    {
        Validate(a, b);
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), $"x must be in [0, 1], got {x}");
        if (x == 0 || x == 1) return x;
        double front = Math.Exp(a * Math.Log(x) + b * Math.Log(1 - x) - LogBeta(a, b));
        return x < (a + 1) / (a + b + 2)
            ? front * ContinuedFraction(x, a, b) / a
            : 1 - front * ContinuedFraction(1 - x, b, a) / b;
    }

    /// <summary>The x in [0, 1] with I_x(a, b) = p.</summary>
    public static double Inverse(double p, double a, double b)
    {
        Validate(a, b);
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"p must be in [0, 1], got {p}");
        if (p == 0 || p == 1) return p;
        double lo = 0, hi = 1, x = 0.5, logBeta = LogBeta(a, b);
        for (int iteration = 0; iteration < 200; iteration++)
        {
            double f = Regularized(x, a, b) - p;
            if (f == 0) return x;
            if (f < 0) lo = x; else hi = x;
            double density = Math.Exp((a - 1) * Math.Log(x) + (b - 1) * Math.Log(1 - x) - logBeta);
            double next = x - f / density;
            if (!(next > lo && next < hi)) next = lo + (hi - lo) / 2;
            if (Math.Abs(next - x) <= 4e-16 * Math.Max(x, 1e-300) || hi - lo <= 4e-16 * x) return next;
            x = next;
        }
        return x;
    }

    /// <summary>ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>ln Γ(x) for x &gt; 0: Lanczos approximation (g = 7, 9 terms), about 1e-15 relative.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), $"x must be positive, got {x}");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0];
        for (int k = 1; k < Lanczos.Length; k++) sum += Lanczos[k] / (x + k);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    static readonly double[] Lanczos =
    {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    };

    /// <summary>The continued fraction of I_x(a, b)·a·B(a, b)/(x^a (1 − x)^b), by the modified Lentz method.</summary>
    static double ContinuedFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.Abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 1000; m++)
        {
            int m2 = 2 * m;
            double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + even / c; if (Math.Abs(c) < tiny) c = tiny;
            h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + odd / c; if (Math.Abs(c) < tiny) c = tiny;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) <= 3e-16) break;
        }
        return h;
    }

    static void Validate(double a, double b)
    {
        if (!(a > 0 && b > 0 && double.IsFinite(a) && double.IsFinite(b)))
            throw new ArgumentException($"a and b must be positive and finite, got {a}, {b}");
    }
}
