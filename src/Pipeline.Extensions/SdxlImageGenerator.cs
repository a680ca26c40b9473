using Microsoft.Extensions.AI;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;

namespace Pipeline.Extensions;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IImageGenerator"/> over one model and <see cref="SdxlGenerator"/>: the request's
/// prompt becomes a text-to-image plan (size, count and model from the options; everything else from
/// <see cref="GenerationDefaults"/>), run through the one executor; the images come back as PNG <see cref="DataContent"/>
/// with their A1111 parameters. Edits (<see cref="ImageGenerationRequest.OriginalImages"/>) are img2img at strength 0.6 of
/// the first image, resized to the requested size.
/// </summary>
public sealed class SdxlImageGenerator(SdxlModel model, SdxlGenerator generator, ComponentRegistry registry, GenerationDefaults? defaults = null) : IImageGenerator
{
    readonly GenerationDefaults _defaults = defaults ?? GenerationDefaults.For(model);

    /// <summary>The plan a request with <paramref name="options"/> makes (for inspection; <see cref="GenerateAsync"/> runs it).</summary>
    public GenerationPlan Plan(ImageGenerationRequest request, ImageGenerationOptions? options = null, long? seed = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Prompt) && request.OriginalImages is null)
            throw new ArgumentException("the request has no prompt");
        if (options?.ModelId is { } id && !string.Equals(id, model.Name, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"model '{id}' is not this generator's; it runs '{model.Name}'");
        if (options?.MediaType is { } type && type != "image/png")
            throw new ArgumentException($"media type '{type}' is not produced; this generator writes image/png");
        if (options?.ResponseFormat is { } format && format != ImageGenerationResponseFormat.Data)
            throw new ArgumentException($"response format '{format}' is not produced; this generator returns the image data");
        int count = options?.Count ?? 1;
        if (count is < 1 or > 64) throw new ArgumentException($"count {count} must be in 1..64");
        var size = options?.ImageSize is { } s ? new ImageSize(s.Height, s.Width) : _defaults.Size;
        return registry.TextToImage(model, request.Prompt ?? "", size, _defaults.Sampler, _defaults.Schedule, _defaults.Steps, _defaults.CfgScale,
            seed ?? Random.Shared.NextInt64(0, 1L << 32), batch: count).Validate();
    }

    public async Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var plan = Plan(request, options);
        if (request.OriginalImages?.OfType<DataContent>().FirstOrDefault() is { } original)
        {
            using var image = PngImage.Decode(original.Data.ToArray(), "the original image");
            using var batch = image.unsqueeze(0);
            using var resized = Lanczos.Resize(batch, plan.Size.Height, plan.Size.Width).clamp(0, 1);
            plan = plan.WithInit(InitInput.FromImage(resized, 0.6));
            using var edited = await generator.GenerateAsync(plan, cancellation: cancellationToken).ConfigureAwait(false);
            return Response(edited);
        }
        using var result = await generator.GenerateAsync(plan, cancellation: cancellationToken).ConfigureAwait(false);
        return Response(result);
    }

    static ImageGenerationResponse Response(GenerationResult result)
    {
        var contents = new List<AIContent>();
        for (int i = 0; i < result.Parameters.Count; i++)
        {
            using var image = result.Images[i];
            contents.Add(new DataContent(PngImage.Encode(image, result.Parameters[i]), "image/png")
                { AdditionalProperties = new AdditionalPropertiesDictionary { ["parameters"] = result.Parameters[i].ToA1111() } });
        }
        return new ImageGenerationResponse(contents) { RawRepresentation = result.Parameters };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ImageGeneratorMetadata) ? new ImageGeneratorMetadata("sdxl-pipeline", null, model.Name)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(model) ? model
        : serviceType.IsInstanceOfType(generator) ? generator
        : null;

    public void Dispose() { }
}
