using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>linear_quadratic</c> schedule (from Genmo's Mochi): a fraction s of the way from noise to data that
/// grows linearly to <see cref="ThresholdNoise"/> over the first L steps (L = <see cref="LinearSteps"/>, default
/// ⌊N/2⌋) and quadratically to 1 over the rest; σ = (1 − s)·σ_max in float32. Written for flow models: on this
/// discrete model it stays near σ_max for the first half. One step gives [σ_max, 0].
/// </summary>
public sealed record LinearQuadraticScheduler(ModelSamplingDiscrete Model, double ThresholdNoise = 0.025, int? LinearSteps = null) : IDiscretization
{
    public LinearQuadraticScheduler() : this(ModelSamplingDiscrete.Sdxl) { }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        if (!(ThresholdNoise > 0 && ThresholdNoise < 1)) throw new ArgumentOutOfRangeException(nameof(ThresholdNoise), $"threshold_noise must be in (0, 1), got {ThresholdNoise}");
        List<double> fractions;
        if (steps == 1) fractions = new() { 0.0, 1.0 };
        else
        {
            int linear = LinearSteps ?? steps / 2;
            if (linear < 1 || linear >= steps)
                throw new ArgumentOutOfRangeException(nameof(LinearSteps), $"linear_steps must be in [1, {steps - 1}] for {steps} steps, got {linear}");
            int quadratic = steps - linear;
            double stepDiff = linear - ThresholdNoise * steps;
            double quadraticCoef = stepDiff / (linear * (double)quadratic * quadratic);
            double linearCoef = ThresholdNoise / linear - 2 * stepDiff / ((double)quadratic * quadratic);
            double constant = quadraticCoef * ((double)linear * linear);
            fractions = Enumerable.Range(0, linear).Select(i => i * ThresholdNoise / linear)
                .Concat(Enumerable.Range(linear, quadratic).Select(i => quadraticCoef * ((double)i * i) + linearCoef * i + constant))
                .Append(1.0).ToList();
        }
        float sigmaMax = Model.SigmaMax;
        var values = fractions.Select(s => (float)(1.0 - s) * sigmaMax).ToList();
        return ScheduleValues.Finish(values, appendZero);
    }
}
