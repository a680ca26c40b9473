using System.Globalization;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Server.Hosting;
using static TorchSharp.torch;

namespace Pipeline.Server.A1111;

/// <summary>The images of one A1111 request: PNG bytes (with the <c>parameters</c> chunk), their infotexts and seeds.</summary>
public sealed record A1111Result(IReadOnlyList<byte[]> Pngs, IReadOnlyList<string> Infotexts, IReadOnlyList<long> Seeds,
    string ModelName, string? ModelHash, DateTimeOffset Started)
{
    /// <summary>Stopped by <c>/sdapi/v1/interrupt</c>: the last image is the estimate at that step.</summary>
    public bool Interrupted { get; init; }
}

/// <summary>
/// Runs an <see cref="A1111Job"/> on the generation worker: every image is one plan run through the one executor (image i
/// has seed + i, as A1111's all_seeds, so any image can be remade alone), with progress and previews on the board.
/// </summary>
public static class A1111Runner
{
    /// <param name="job">the checked request</param>
    /// <param name="models">loads the job's checkpoint if another is loaded</param>
    /// <param name="board">progress and the latest preview, for /sdapi/v1/progress</param>
    /// <param name="events">progress and previews, for /v1/events</param>
    /// <param name="previewEvery">a preview every this many steps (0: none)</param>
    /// <param name="cancel">the request's cancellation (client gone, timeout): the run stops and nothing is returned</param>
    /// <param name="interrupt">A1111's interrupt: the run stops and returns the images made so far plus the current one's
    /// estimate decoded (its parameters say "Interrupted at step")</param>
    public static A1111Result Run(A1111Job job, ModelHost models, ProgressBoard board, EventHub events, int previewEvery, CancellationToken cancel,
        CancellationToken interrupt = default)
    {
        var started = DateTimeOffset.UtcNow;
        var model = models.Use(job.Snapshot.Registry, job.Checkpoint);
        var refiner = job.Request.RefinerCheckpoint is { Length: > 0 } ? models.UseRefiner(job.Snapshot.Registry) : null;
        var plans = Enumerable.Range(0, job.Images).Select(i => Plan(job, model, refiner, unchecked(job.Seed + i))).ToList();
        foreach (var p in plans) p.Validate();
        int total = plans.Sum(p => p.TotalSteps), done = 0, imageStep = 0;
        board.SetTotal(total);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, interrupt);
        Tensor? estimate = null;
        var pngs = new List<byte[]>();
        var infotexts = new List<string>();
        var preview = models.Preview;
        foreach (var (plan, i) in plans.Select((p, i) => (p, i)))
        {
            imageStep = 0;
            var options = new SamplingOptions(step =>
            {
                done++;
                imageStep++;
                estimate?.Dispose();
                estimate = step.Denoised[..1].detach().clone().DetachFromDisposeScope();
                byte[]? png = null;
                if (previewEvery > 0 && preview is not null && (done % previewEvery == 0 || done == total))
                {
                    using var scope = NewDisposeScope();
                    int f = model.Config.Vae.DownscaleFactor;
                    var rgb = nn.functional.interpolate(preview.Apply(step.Denoised[..1]), scale_factor: new double[] { f, f }, mode: InterpolationMode.Nearest)[0];
                    png = PngImage.Encode(rgb);
                }
                board.Step(done, png);
                events.Publish(new ServerEvent("progress", System.Text.Json.JsonSerializer.Serialize(new { step = done, total, image = i })));
                if (png is not null) events.Publish(new ServerEvent("preview", System.Text.Json.JsonSerializer.Serialize(new { step = done, png = Convert.ToBase64String(png) })));
            }, stop.Token);
            GenerationResult result;
            try
            {
                result = job.Mask is { } mask && job.Init is { } image
                ? (job.Request.InpaintFullRes
                    ? Stages.InpaintRegion.Run(plan, image, new InpaintMask(mask, job.Request.MaskBlur), job.Request.InpaintFullResPadding, job.Request.DenoisingStrength, options)
                    : plan.WithInit(InitInput.FromImage(image, job.Request.DenoisingStrength).WithMask(new InpaintMask(mask, job.Request.MaskBlur))).Run(options))
                : plan.Run(options);
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                // A1111's interrupt: what is done so far, and the current image's estimate decoded.
                if (estimate is not null)
                {
                    using var scope = NewDisposeScope();
                    var image = Stages.DecodeStage.Run(model.FirstStage, estimate)[0];
                    var p = PlanParameters.For(plan)[0];
                    var extra = new Dictionary<string, string>(p.Extra ?? new Dictionary<string, string>()) { ["Interrupted at step"] = $"{imageStep}/{plan.TotalSteps}" };
                    p = p with { Extra = extra };
                    pngs.Add(PngImage.Encode(image, p));
                    infotexts.Add(p.ToA1111());
                }
                estimate?.Dispose();
                return new A1111Result(pngs, infotexts, plans.Take(pngs.Count).Select(q => q.Seed).ToList(), model.Name, model.Hash, started) { Interrupted = true };
            }
            using (result)
                for (int b = 0; b < result.Parameters.Count; b++)
                {
                    using var image = result.Images[b];
                    pngs.Add(PngImage.Encode(image, result.Parameters[b]));
                    infotexts.Add(result.Parameters[b].ToA1111());
                }
        }
        estimate?.Dispose();
        return new A1111Result(pngs, infotexts, plans.Select(p => p.Seed).ToList(), model.Name, model.Hash, started);
    }

    /// <summary>One image's plan: the request's prompt, size, schedule, sampler, CFG and seed; hires, refiner and init as asked.</summary>
    public static GenerationPlan Plan(A1111Job job, SdxlModel model, SdxlModel? refiner, long seed)
    {
        var r = job.Request;
        var registry = job.Snapshot.Registry;
        var size = new ImageSize(r.Height, r.Width);
        var plan = new GenerationPlan(model, PromptRow.For(r.Prompt, size, r.NegativePrompt, 1), size,
                registry.Schedule(job.Choice.Schedule, r.Steps), registry.Sampler(job.Choice.Sampler), CfgScale.Guider(r.CfgScale), seed)
            { Names = new ComponentNames(job.Choice.SamplerLabel, job.Choice.ScheduleLabel) };
        if (r.IsImg2Img && job.Init is { } init && job.Mask is null)
            plan = plan.WithInit(InitInput.FromImage(init, r.DenoisingStrength));
        if (job.HiresSize is { } hiresSize && job.HiresUpscaler is { } upscaler && job.HiresChoice is { } hc)
            plan = plan.WithHires(new HiresStep(hiresSize, upscaler, registry.Schedule(hc.Schedule, r.HrSecondPassSteps > 0 ? r.HrSecondPassSteps : r.Steps), r.DenoisingStrength)
            {
                Sampler = hc.Sampler == job.Choice.Sampler ? null : registry.Sampler(hc.Sampler),
                SamplerName = hc.Sampler == job.Choice.Sampler ? null : hc.SamplerLabel,
            });
        if (refiner is not null)
            plan = plan with { Refiner = new RefinerStep(refiner, Stages.RefinerMode.Handoff, r.RefinerSwitchAt ?? 0.8, plan.Sampler, plan.Guider) { SamplerName = job.Choice.SamplerLabel } };
        return plan;
    }

    /// <summary>A1111's <c>info</c>: the JSON string of its <c>Processed</c> object.</summary>
    public static string Info(A1111Job job, A1111Result result)
    {
        var r = job.Request;
        var info = new Dictionary<string, object?>
        {
            ["prompt"] = r.Prompt,
            ["all_prompts"] = Enumerable.Repeat(r.Prompt, result.Seeds.Count).ToList(),
            ["negative_prompt"] = r.NegativePrompt,
            ["all_negative_prompts"] = Enumerable.Repeat(r.NegativePrompt, result.Seeds.Count).ToList(),
            ["seed"] = result.Seeds.FirstOrDefault(job.Seed),
            ["all_seeds"] = result.Seeds,
            ["subseed"] = -1,
            ["all_subseeds"] = result.Seeds.Select(_ => -1).ToList(),
            ["subseed_strength"] = 0,
            ["width"] = job.HiresSize?.Width ?? r.Width,
            ["height"] = job.HiresSize?.Height ?? r.Height,
            ["sampler_name"] = job.Choice.SamplerLabel,
            ["scheduler"] = job.Choice.ScheduleLabel,
            ["cfg_scale"] = r.CfgScale,
            ["steps"] = r.Steps,
            ["batch_size"] = r.BatchSize,
            ["restore_faces"] = false,
            ["face_restoration_model"] = null,
            ["sd_model_name"] = result.ModelName,
            ["sd_model_hash"] = result.ModelHash,
            ["sd_vae_name"] = null,
            ["sd_vae_hash"] = null,
            ["seed_resize_from_w"] = -1,
            ["seed_resize_from_h"] = -1,
            ["denoising_strength"] = r.IsImg2Img || r.EnableHr ? r.DenoisingStrength : null,
            ["extra_generation_params"] = new Dictionary<string, object?>(),
            ["index_of_first_image"] = 0,
            ["infotexts"] = result.Infotexts,
            ["styles"] = Array.Empty<string>(),
            ["job_timestamp"] = result.Started.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture),
            ["clip_skip"] = 1,
            ["is_using_inpainting_conditioning"] = job.Checkpoint.Config.IsInpainting,
            ["version"] = "sdxl-pipeline " + ServerVersion.Text,
        };
        return System.Text.Json.JsonSerializer.Serialize(info);
    }
}
