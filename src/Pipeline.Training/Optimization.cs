using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>What the learning rate does after warm-up.</summary>
public enum LearningRateDecay { Constant, Cosine }

/// <summary>
/// Learning rate per update: linear warm-up from 0 to <see cref="BaseRate"/> over <see cref="WarmupSteps"/> updates,
/// then constant, or a cosine from <see cref="BaseRate"/> down to <see cref="FinalFraction"/>·BaseRate at
/// <see cref="TotalSteps"/>.
/// </summary>
public sealed record LearningRateSchedule(double BaseRate, long WarmupSteps = 0, LearningRateDecay Decay = LearningRateDecay.Constant,
    long TotalSteps = 0, double FinalFraction = 0.0)
{
    /// <summary>The rate of the update with 0-based index <paramref name="step"/> (the first update uses step 0).</summary>
    public double At(long step)
    {
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        if (Decay == LearningRateDecay.Constant || TotalSteps <= WarmupSteps) return BaseRate;
        double progress = Math.Clamp((double)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0.0, 1.0);
        double cosine = 0.5 * (1.0 + Math.Cos(Math.PI * progress));
        return BaseRate * (FinalFraction + (1.0 - FinalFraction) * cosine);
    }
}

/// <summary>AdamW hyper-parameters (PyTorch's defaults).</summary>
public sealed record AdamWSettings(double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8, double WeightDecay = 0.01);

/// <summary>
/// AdamW exactly as PyTorch's single-tensor implementation computes it: p ← p·(1 − lr·wd);
/// m ← lerp(m, g, 1 − β1); v ← β2·v + (1 − β2)·g²; p ← p − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε).
/// The state (step count, exp_avg and exp_avg_sq of every parameter) is plain tensors, saved and loaded exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly List<(string Name, Parameter Parameter, Tensor ExpAvg, Tensor ExpAvgSq)> _state = new();

    public AdamWSettings Settings { get; }

    /// <summary>Number of updates taken.</summary>
    public long Step { get; private set; }

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _state.Select(s => (s.Name, s.Parameter)).ToList();

    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, AdamWSettings? settings = null)
    {
        Settings = settings ?? new AdamWSettings();
        foreach (var (name, p) in parameters)
        {
            using var noGrad = no_grad();
            var m = zeros_like(p).DetachFromDisposeScope();
            var v = zeros_like(p).DetachFromDisposeScope();
            _state.Add((name, p, m, v));
        }
        var duplicate = _state.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"parameter name '{duplicate.Key}' appears more than once");
    }

    /// <summary>One update with learning rate <paramref name="lr"/> from the current gradients (parameters without a gradient are skipped).</summary>
    public void Update(double lr)
    {
        Step++;
        double beta1 = Settings.Beta1, beta2 = Settings.Beta2;
        double bc1 = 1.0 - Math.Pow(beta1, Step);
        double bc2Sqrt = Math.Sqrt(1.0 - Math.Pow(beta2, Step));
        double stepSize = lr / bc1;
        // Scalars made explicitly and kept alive until every call returned: an implicit double → Scalar conversion leaves
        // an object the finaliser may free while libtorch still reads it (seen once as a garbage Scalar in addcdiv_, and
        // in add_: TorchSharp's add_(Scalar) makes its alpha = 1 as such a temporary, so alpha is passed here).
        using var decay = (1.0 - lr * Settings.WeightDecay).ToScalar();
        using var b2 = beta2.ToScalar();
        using var mixV = (1.0 - beta2).ToScalar();
        using var c2 = bc2Sqrt.ToScalar();
        using var eps = Settings.Eps.ToScalar();
        using var step = (-stepSize).ToScalar();
        using var one = 1.0.ToScalar();
        using var noGrad = no_grad();
        foreach (var (_, p, m, v) in _state)
        {
            using var scope = NewDisposeScope();
            var g = p.grad;
            if (g is null) continue;
            if (Settings.WeightDecay != 0) p.mul_(decay);
            m.lerp_(g, 1.0 - beta1);   // a 0-dim tensor weight, owned by the scope
            v.mul_(b2).addcmul_(g, g, mixV);
            var denom = v.sqrt().div_(c2).add_(eps, one);
            p.addcdiv_(m, denom, step);
        }
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p, _, _) in _state) p.grad = null;
    }

    /// <summary>The state tensors by name (<c>{prefix}exp_avg.{param}</c>, <c>{prefix}exp_avg_sq.{param}</c>); not copies.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors(string prefix)
    {
        foreach (var (name, _, m, v) in _state)
        {
            yield return new(prefix + "exp_avg." + name, m);
            yield return new(prefix + "exp_avg_sq." + name, v);
        }
    }

    /// <summary>Restores the step count and the state tensors (read by name through <paramref name="read"/>).</summary>
    public void LoadState(long step, Action<string, Tensor> read, string prefix)
    {
        foreach (var kv in StateTensors(prefix)) read(kv.Key, kv.Value);
        Step = step;
    }

    public void Dispose()
    {
        foreach (var (_, _, m, v) in _state)
        {
            m.Dispose();
            v.Dispose();
        }
        _state.Clear();
    }
}

/// <summary>Gradient clipping.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients so that their global L2 norm is at most <paramref name="maxNorm"/> (PyTorch's
    /// <c>clip_grad_norm_</c>: coefficient min(1, max / (norm + 1e-6))). Returns the norm before clipping.
    /// </summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0.0;
        var total = stack(grads.Select(g => g.norm()).ToArray()).norm();
        double norm = total.item<float>();
        if (double.IsFinite(maxNorm) && maxNorm > 0)
        {
            var coef = (maxNorm / (total + 1e-6)).clamp_max(1.0);
            foreach (var g in grads) g.mul_(coef);
        }
        return norm;
    }
}
