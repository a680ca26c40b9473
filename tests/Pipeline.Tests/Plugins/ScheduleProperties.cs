using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Schedules.ComfyUI;
using Xunit;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// One suite of schedule laws over every discretization the registry (built-ins + plugins) holds: for every step
/// count 1 … 100 a valid <see cref="Sigmas"/> ending with 0 (and the same values without it), of the documented
/// length, starting at or below the schedule's σ_max, and the ComfyUI discard-penultimate form of it.
/// </summary>
public class ScheduleProperties
{
    const int MaxSteps = 100;

    public static IEnumerable<object[]> Discretizations =>
        PluginRegistry.Snapshot.Names(ComponentKind.Discretization).Select(n => new object[] { n });

    static readonly float TableSigmaMax = ModelSamplingDiscrete.Sdxl.SigmaMax;

    /// <summary>
    /// The largest first σ a schedule may have: its own range where it has one (vp, edm), else the SDXL table's
    /// σ_max, up to float32 rounding of the closed forms (ComfyUI's karras starts at 14.614643 &gt; 14.614641).
    /// </summary>
    static double UpperBound(IDiscretization d) => d switch
    {
        VPSchedule vp => vp.SigmaMax,
        EDMDiscretization edm => edm.SigmaMax,
        _ => TableSigmaMax,
    } * (1 + 1e-6);

    /// <summary>The documented length (with the final 0) of an <paramref name="steps"/>-step schedule.</summary>
    static void AssertLength(string name, IDiscretization d, int steps, Sigmas sigmas)
    {
        switch (d)
        {
            case DDIMUniformScheduler ddim:
                Assert.Equal(ddim.Length(steps) + 1, sigmas.Count);
                Assert.True(sigmas.Count >= steps + 1, $"{name}: ddim_uniform gave {sigmas.Count} values for {steps} steps");
                break;
            case BetaScheduler beta:
                var indices = beta.Indices(steps);
                int distinct = 1 + indices.Zip(indices.Skip(1)).Count(p => p.First != p.Second);
                Assert.Equal(distinct + 1, sigmas.Count);
                Assert.InRange(sigmas.Count, 2, steps + 1);
                break;
            default:
                Assert.True(steps + 1 == sigmas.Count, $"{name}: {sigmas.Count} values for {steps} steps");
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Discretizations))]
    public void Every_schedule_is_valid_for_every_step_count(string name)
    {
        var d = PluginRegistry.Snapshot.Discretization(name);
        double bound = UpperBound(d);
        for (int steps = 1; steps <= MaxSteps; steps++)
        {
            var sigmas = d.GetSigmas(steps);
            Assert.True(sigmas.EndsWithZero, $"{name} with {steps} steps does not end with 0");
            AssertLength(name, d, steps, sigmas);
            Assert.True(sigmas[0] <= bound, $"{name} with {steps} steps starts at {sigmas[0]:R} > {bound:R}");
            Assert.Equal(sigmas.Take(sigmas.Count - 1), d.GetSigmas(steps, appendZero: false));
        }
    }

    [Theory]
    [MemberData(nameof(Discretizations))]
    public void Discarding_the_penultimate_sigma_keeps_a_valid_schedule(string name)
    {
        var d = new DiscardPenultimate(PluginRegistry.Snapshot.Discretization(name));
        var inner = PluginRegistry.Snapshot.Discretization(name);
        for (int steps = 1; steps <= MaxSteps; steps++)
        {
            var full = inner.GetSigmas(steps + 1);
            var discarded = d.GetSigmas(steps);
            Assert.Equal(full.Count - 1, discarded.Count);
            Assert.Equal(full.Take(full.Count - 2).Append(0f), discarded);
        }
    }

    [Theory]
    [InlineData("simple")]
    [InlineData("ddim_uniform")]
    [InlineData("beta")]
    public void Table_picking_schedules_use_only_table_entries(string name)
    {
        var table = ModelSamplingDiscrete.Sdxl.Sigmas.ToHashSet();
        var d = PluginRegistry.Snapshot.Discretization(name);
        for (int steps = 1; steps <= MaxSteps; steps++)
            Assert.All(d.GetSigmas(steps, appendZero: false), s => Assert.Contains(s, table));
    }

    [Fact]
    public void Timestep_inverts_sigma_on_every_table_entry()
    {
        var ms = ModelSamplingDiscrete.Sdxl;
        for (int t = 0; t < ms.NumTimesteps; t++)
        {
            Assert.Equal(t, ms.Timestep(ms.Sigmas[t]));
            Assert.Equal(ms.Sigmas[t], ms.Sigma(t), 6e-7f * ms.Sigmas[t]);
        }
    }

    [Fact]
    public void Incomplete_beta_inverse_inverts_the_function()
    {
        foreach (var (a, b) in new[] { (0.6, 0.6), (0.5, 2.0), (2.0, 5.0), (1.0, 1.0) })
            for (double p = 0.005; p < 1; p += 0.01)
            {
                double x = IncompleteBeta.Inverse(p, a, b);
                Assert.True(Math.Abs(IncompleteBeta.Regularized(x, a, b) - p) <= 1e-13, $"I({x}; {a}, {b}) != {p}");
            }
        Assert.Equal(0.3, IncompleteBeta.Inverse(0.3, 1, 1), 14);
        Assert.Equal(0.5, IncompleteBeta.Inverse(0.5, 0.6, 0.6), 14);
    }

    [Fact]
    public void Schedules_reject_invalid_settings_with_a_reason()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimpleScheduler().GetSigmas(0));
        Assert.Contains("linear_steps", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearQuadraticScheduler(ModelSamplingDiscrete.Sdxl, LinearSteps: 5).GetSigmas(5)).Message);
        Assert.Contains("sigma_min < sigma_max", Assert.Throws<ArgumentException>(() => new ExponentialSchedule(2, 1).GetSigmas(4)).Message);
        Assert.Contains("alpha and beta", Assert.Throws<ArgumentException>(() => new BetaScheduler(ModelSamplingDiscrete.Sdxl, Alpha: 0).GetSigmas(4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSamplingDiscrete.Sdxl.Timestep(0f));
    }
}
