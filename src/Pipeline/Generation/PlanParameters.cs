using System.Globalization;
using Pipeline.Diffusion.Guidance;
using Pipeline.Imaging;
using Pipeline.Stages;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Generation;

/// <summary>The A1111-style parameters of each image a plan makes (image i is row i).</summary>
public static class PlanParameters
{
    /// <summary>The parameters of each image; <paramref name="tokens"/> (the run's Tokenize output, when at hand) names the embeddings used.</summary>
    public static IReadOnlyList<GenerationParameters> For(GenerationPlan plan, PromptTokens? tokens = null) =>
        Enumerable.Range(0, plan.BatchSize).Select(i =>
        {
            var row = plan.Rows.Length > i ? plan.Rows[i] : null;
            var fields = new Dictionary<string, string>();
            if (plan.BatchSize > 1) fields["Batch index"] = i.ToString(CultureInfo.InvariantCulture);
            if (row is not null)
            {
                var size = plan.Size;
                if (row.Micro.OriginalSize != size) fields["Original size"] = $"{row.Micro.OriginalSize.Width}x{row.Micro.OriginalSize.Height}";
                if (row.Micro.Crop != default) fields["Crop"] = $"{row.Micro.Crop.Top},{row.Micro.Crop.Left}";
                if (row.Micro.TargetSize != size) fields["Target size"] = $"{row.Micro.TargetSize.Width}x{row.Micro.TargetSize.Height}";
            }
            if (plan.Conditioning is null || plan.Refiner is { Conditioning: null })
            {
                fields["Prompt style"] = plan.Prompting.Style.Name();
                var used = row is null ? new List<string>() : UsedEmbeddings(plan, row, tokens, i);
                if (used.Count > 0) fields["Embeddings"] = string.Join(", ", used);
            }
            if (!plan.Adapters.IsDefaultOrEmpty)
            {
                if (Adapters.AdapterInfotext.LoraHashes(plan.Adapters) is { } hashes) fields["Lora hashes"] = hashes;
                fields["Lora"] = Adapters.AdapterInfotext.Strengths(plan.Adapters);
            }
            // A guider other than plain CFG (a plugin's, e.g. guidance_rescale) is recorded with its knobs.
            if (plan.Guider is not (VanillaCFG or IdentityGuider)) fields["Guider"] = ComponentText.Of(plan.Guider);
            if (plan.Init is { } init) fields["Denoising strength"] = init.Strength.ToString(CultureInfo.InvariantCulture);
            fields["Dtype"] = Runtime.ComputePrecision.Name(plan.Model.ComputeDType) + (plan.Model.Int8Linears ? "+int8" : "");
            if (plan.Model.FirstStage.ComputeDType != TorchSharp.torch.ScalarType.Float32)
                fields["VAE dtype"] = Runtime.ComputePrecision.Name(plan.Model.FirstStage.ComputeDType);
            if (plan.Decode?.Taesd is not null) fields["Decoder"] = "TAESD";
            if (plan.Init is { IsLatent: false } && plan.Encode?.Taesd is not null) fields["Encoder"] = "TAESD";
            if (plan.Init?.Mask is { } mask) fields["Mask blur"] = mask.Blur.ToString(CultureInfo.InvariantCulture);
            if (plan.Hires is { } hires)
            {
                double scale = (double)hires.Size.Width / plan.Size.Width;
                if (Math.Abs(scale - (double)hires.Size.Height / plan.Size.Height) < 1e-9) fields["Hires upscale"] = scale.ToString("0.###", CultureInfo.InvariantCulture);
                fields["Hires resize"] = $"{hires.Size.Width}x{hires.Size.Height}";
                fields["Hires steps"] = hires.Sigmas.Steps.ToString(CultureInfo.InvariantCulture);
                fields["Hires upscaler"] = hires.Upscaler.A1111Name();
                if (hires.SamplerName is { } hs) fields["Hires sampler"] = hs;
                // A1111 records the hires pass's strength as the denoising strength.
                fields["Denoising strength"] = hires.Strength.ToString(CultureInfo.InvariantCulture);
            }
            if (plan.Refiner is { } r)
            {
                fields["Refiner"] = r.Model.Name;
                fields["Refiner mode"] = r.Mode.ToString().ToLowerInvariant();
                fields["Refiner switch at"] = r.Mode == RefinerMode.Handoff
                    ? r.At.ToString(CultureInfo.InvariantCulture)
                    : "strength " + r.At.ToString(CultureInfo.InvariantCulture);
                if (!r.Adapters.IsDefaultOrEmpty)
                {
                    if (Adapters.AdapterInfotext.LoraHashes(r.Adapters) is { } hashes) fields["Refiner Lora hashes"] = hashes;
                    fields["Refiner Lora"] = Adapters.AdapterInfotext.Strengths(r.Adapters);
                }
            }
            return new GenerationParameters(row?.Text ?? "", row?.Negative ?? "", plan.Sigmas.Steps,
                plan.Names.Sampler ?? plan.Sampler.GetType().Name, plan.Names.Schedule ?? "custom", CfgScale.Of(plan.Guider) ?? double.NaN,
                plan.Seed, plan.Size.Width, plan.Size.Height, plan.Model.Name, plan.Model.Hash, fields.Count > 0 ? fields : null);
        }).ToList();

    static List<string> UsedEmbeddings(GenerationPlan plan, PromptRow row, PromptTokens? run, int i)
    {
        IEnumerable<Tokenize.Prompts.PromptEncoding> encodings;
        if (run is not null && i < run.Count) encodings = new[] { run.Prompt[i], run.Negative[i] };
        else
        {
            try
            {
                var tokens = PromptTokenizer.Run(new[] { row }, plan.Prompting);
                encodings = tokens.Prompt.Concat(tokens.Negative);
            }
            catch (ArgumentException) { return new List<string>(); }
        }
        return encodings.SelectMany(t => t.Embeddings.Keys).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
    }
}
