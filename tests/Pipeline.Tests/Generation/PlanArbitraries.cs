using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Generation;

/// <summary>The inputs of a small text-to-image plan a user may give (names from the built-in registry).</summary>
sealed record PlanInputs(string Prompt, string Negative, int Steps, double Cfg, string Sampler, string Schedule, long Seed, int Batch, int Width, int Height);

/// <summary>FsCheck generators for plans: inputs of tiny plans, and edits a caller may apply with <c>with</c>.</summary>
static class PlanArbitraries
{
    static readonly string[] Prompts = { "a red circle", "a blue square on a white background", "", "ünïcödé ✓ \"quoted\"" };

    public static Arbitrary<PlanInputs> Inputs =>
        (from prompt in Gen.Elements(Prompts)
         from negative in Gen.Elements("", "green", "blurry, low quality")
         from steps in Gen.Choose(1, 4)
         from cfg in Gen.Elements(1.0, 2.0, 5.5)
         from sampler in Gen.Elements(TinyPlans.Registry.Names(Pipeline.Components.ComponentKind.Sampler).ToArray())
         from schedule in Gen.Elements("legacy_ddpm", "karras")
         from seed in Gen.Choose(0, 1_000_000)
         from batch in Gen.Choose(1, 2)
         from w in Gen.Choose(1, 3)
         from h in Gen.Choose(1, 3)
         select new PlanInputs(prompt, negative, steps, cfg, sampler, schedule, seed, batch, 8 * w, 8 * h)).ToArbitrary();

    /// <summary>One edit of a plan, by index (seed, guider, sampler, sigmas, rows, size, decode, names, init).</summary>
    public static Arbitrary<(PlanInputs Inputs, int Edit)> InputsAndEdits =>
        (from inputs in Inputs.Generator from edit in Gen.Choose(0, 8) select (inputs, edit)).ToArbitrary();
}
