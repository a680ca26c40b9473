using Pipeline.Components;

namespace Pipeline.Server.A1111;

/// <summary>
/// A1111's sampler and scheduler labels ↔ registry components. A1111 (1.9+) names a sampler ("Euler a", "DPM++ 2M") and
/// a scheduler ("Automatic", "Karras", …) separately; its older combined labels ("DPM++ 2M Karras") still parse. Every
/// registry name (built-in or a plugin's, e.g. <c>dpmpp_3m_sde</c>, <c>trailing</c>) is accepted as itself too.
/// </summary>
public static class A1111Samplers
{
    /// <summary>A1111 sampler label → (our registry name, A1111 aliases, the scheduler its "Automatic" means).</summary>
    public static IReadOnlyList<(string Label, string Name, string[] Aliases, string Automatic)> Samplers { get; } = new[]
    {
        ("DPM++ 2M", "dpmpp_2m", new[] { "k_dpmpp_2m" }, "karras"),
        ("DPM++ SDE", "dpmpp_sde", new[] { "k_dpmpp_sde" }, "karras"),
        ("DPM++ 2M SDE", "dpmpp_2m_sde", new[] { "k_dpmpp_2m_sde" }, "exponential"),
        ("DPM++ 2M SDE Heun", "dpmpp_2m_sde_heun", new[] { "k_dpmpp_2m_sde_heun" }, "exponential"),
        ("DPM++ 2S a", "dpmpp_2s_ancestral", new[] { "k_dpmpp_2s_a" }, "karras"),
        ("DPM++ 3M SDE", "dpmpp_3m_sde", new[] { "k_dpmpp_3m_sde" }, "exponential"),
        ("Euler a", "euler_ancestral", new[] { "k_euler_a", "k_euler_ancestral" }, "normal"),
        ("Euler", "euler", new[] { "k_euler" }, "normal"),
        ("LMS", "lms", new[] { "k_lms" }, "normal"),
        ("Heun", "heun", new[] { "k_heun" }, "normal"),
        ("DPM2", "dpm_2", new[] { "k_dpm_2" }, "karras"),
        ("DPM2 a", "dpm_2_ancestral", new[] { "k_dpm_2_a" }, "karras"),
        ("LCM", "lcm", new[] { "k_lcm" }, "normal"),
        ("DDIM", "ddim", Array.Empty<string>(), "ddim_uniform"),
    };

    /// <summary>A1111 scheduler name and label → our registry schedule.</summary>
    public static IReadOnlyList<(string Name, string Label, string Schedule)> Schedulers { get; } = new[]
    {
        ("uniform", "Uniform", "normal"),            // k-diffusion's get_sigmas: evenly spaced timesteps = ComfyUI's normal
        ("karras", "Karras", "karras"),
        ("exponential", "Exponential", "exponential"),
        ("polyexponential", "Polyexponential", "polyexponential"),
        ("sgm_uniform", "SGM Uniform", "sgm_uniform"),
        ("kl_optimal", "KL Optimal", "kl_optimal"),
        ("simple", "Simple", "simple"),
        ("normal", "Normal", "normal"),
        ("ddim", "DDIM", "ddim_uniform"),
        ("beta", "Beta", "beta"),
    };

    /// <summary>A resolved choice: registry names plus the labels recorded in the PNG and <c>info</c>.</summary>
    public sealed record Choice(string Sampler, string Schedule, string SamplerLabel, string ScheduleLabel);

    /// <summary>
    /// Resolves <paramref name="sampler"/> (A1111 label, alias, combined "X Karras" label, or a registry name; null: "Euler")
    /// and <paramref name="scheduler"/> (A1111 name or label, "Automatic", or a registry schedule; null: Automatic) against
    /// <paramref name="registry"/>. Unknown names fail with the valid ones (<see cref="A1111Exception"/> naming
    /// <paramref name="samplerField"/> or <paramref name="schedulerField"/>).
    /// </summary>
    public static Choice Resolve(ComponentRegistry registry, string? sampler, string? scheduler,
        string samplerField = "sampler_name", string schedulerField = "scheduler")
    {
        sampler = string.IsNullOrWhiteSpace(sampler) ? "Euler" : sampler.Trim();
        string? combinedSchedule = null;
        var entry = Find(sampler);
        if (entry is null)
            foreach (var s in Schedulers)
                if (sampler.EndsWith(" " + s.Label, StringComparison.OrdinalIgnoreCase) && Find(sampler[..^(s.Label.Length + 1)]) is { } e)
                { entry = e; combinedSchedule = s.Schedule; break; }
        string samplerName, samplerLabel, automatic;
        if (entry is { } found) (samplerName, samplerLabel, automatic) = (found.Name, found.Label, found.Automatic);
        else if (registry.Names(ComponentKind.Sampler).FirstOrDefault(n => string.Equals(n, sampler, StringComparison.OrdinalIgnoreCase)) is { } name)
            (samplerName, samplerLabel, automatic) = (name, name, "normal");
        else throw new A1111Exception(samplerField, $"unknown sampler '{sampler}'; valid: {string.Join(", ", Available(registry))} (registry names: {string.Join(", ", registry.Names(ComponentKind.Sampler))})");
        if (!registry.Names(ComponentKind.Sampler).Contains(samplerName, StringComparer.OrdinalIgnoreCase))
            throw new A1111Exception(samplerField, $"sampler '{sampler}' needs '{samplerName}', which no loaded plugin provides; valid: {string.Join(", ", Available(registry))}");

        string schedule, scheduleLabel;
        bool automaticChosen = string.IsNullOrWhiteSpace(scheduler) || string.Equals(scheduler.Trim(), "automatic", StringComparison.OrdinalIgnoreCase);
        if (combinedSchedule is not null && !automaticChosen)
            throw new A1111Exception(schedulerField, $"the sampler '{sampler}' already names its scheduler; give scheduler 'Automatic' or the plain sampler name");
        if (combinedSchedule is not null) (schedule, scheduleLabel) = (combinedSchedule, LabelOf(combinedSchedule));
        else if (automaticChosen) (schedule, scheduleLabel) = (automatic, LabelOf(automatic));
        else
        {
            var wanted = scheduler!.Trim();
            var s = Schedulers.FirstOrDefault(x => string.Equals(x.Name, wanted, StringComparison.OrdinalIgnoreCase) || string.Equals(x.Label, wanted, StringComparison.OrdinalIgnoreCase));
            if (s.Schedule is not null) (schedule, scheduleLabel) = (s.Schedule, s.Label);
            else if (registry.Names(ComponentKind.Discretization).FirstOrDefault(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase)) is { } own)
                (schedule, scheduleLabel) = (own, own);
            else throw new A1111Exception(schedulerField, $"unknown scheduler '{wanted}'; valid: {string.Join(", ", AvailableSchedulers(registry))} (registry names: {string.Join(", ", registry.Names(ComponentKind.Discretization))})");
        }
        if (!registry.Names(ComponentKind.Discretization).Contains(schedule, StringComparer.OrdinalIgnoreCase))
            throw new A1111Exception(schedulerField, $"scheduler '{scheduleLabel}' needs the schedule '{schedule}', which no loaded plugin provides; valid: {string.Join(", ", AvailableSchedulers(registry))}");
        return new Choice(samplerName, schedule, samplerLabel, scheduleLabel);
    }

    /// <summary>Sampler labels usable with <paramref name="registry"/>: A1111's where the component is loaded, then the
    /// registry's other samplers by name.</summary>
    public static IReadOnlyList<string> Available(ComponentRegistry registry)
    {
        var names = registry.Names(ComponentKind.Sampler);
        var mapped = Samplers.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        return mapped.Select(s => s.Label).Concat(names.Where(n => !mapped.Any(m => string.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase)))).ToList();
    }

    /// <summary>Scheduler labels usable with <paramref name="registry"/>: Automatic, A1111's where the schedule is
    /// loaded, then the registry's other schedules by name.</summary>
    public static IReadOnlyList<string> AvailableSchedulers(ComponentRegistry registry)
    {
        var names = registry.Names(ComponentKind.Discretization);
        var mapped = Schedulers.Where(s => names.Contains(s.Schedule, StringComparer.OrdinalIgnoreCase)).ToList();
        return new[] { "Automatic" }.Concat(mapped.Select(s => s.Label))
            .Concat(names.Where(n => !mapped.Any(m => string.Equals(m.Schedule, n, StringComparison.OrdinalIgnoreCase)))).ToList();
    }

    static (string Label, string Name, string[] Aliases, string Automatic)? Find(string label)
    {
        foreach (var s in Samplers)
            if (string.Equals(s.Label, label, StringComparison.OrdinalIgnoreCase) || s.Aliases.Contains(label, StringComparer.OrdinalIgnoreCase))
                return s;
        return null;
    }

    static string LabelOf(string schedule) =>
        Schedulers.FirstOrDefault(s => s.Schedule == schedule) is { Label: { } l } ? l : schedule;
}
