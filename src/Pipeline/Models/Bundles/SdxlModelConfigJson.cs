using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Components;

namespace Pipeline.Models.Bundles;

/// <summary>
/// Settings records round-trip as JSON. A checkpoint this library writes carries its config in the safetensors
/// metadata (<see cref="MetadataKey"/>), so models of any size (e.g. the tiny default) load without guessing;
/// released SDXL files have none and are recognised by their keys. Components (the denoiser scaling) are stored by
/// their registry name and resolved through a registry snapshot when read (the built-ins unless told otherwise);
/// a config without a scaling is an ε model.
/// </summary>
public static class SdxlModelConfigJson
{
    public const string MetadataKey = "pipeline.model_config";

    static JsonSerializerOptions Options(ComponentRegistry registry, bool reading = false) => new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter(), new RegisteredComponentJsonConverter<Diffusion.Scaling.IDenoiserScaling>(registry, ComponentKind.DenoiserScaling) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A stored config with a missing part or a null where the records allow none is refused by the parser, not met
        // later as a NullReferenceException inside Validate (found by the config fuzz).
        RespectNullableAnnotations = reading,
        RespectRequiredConstructorParameters = reading,
    };

    public static string Serialize(SdxlModelConfig config, ComponentRegistry? registry = null) =>
        JsonSerializer.Serialize(config, Options(registry ?? ComponentRegistry.BuiltIns));

    public static SdxlModelConfig Deserialize(string json, ComponentRegistry? registry = null)
    {
        try
        {
            var config = JsonSerializer.Deserialize<SdxlModelConfig>(json, Options(registry ?? ComponentRegistry.BuiltIns, reading: true)) ?? throw new JsonException("empty config");
            if (config.Name is null || config.Conditioner is null || config.UNet is null || config.Vae is null)
                throw new ArgumentException("the model config stored in the checkpoint is incomplete: it needs Name, Kind, Conditioner, UNet and Vae");
            // Every count and width checked against its bounds before anything is built (Models.ModelBounds).
            config.UNet.Validate();
            config.Vae.Validate();
            config.Conditioner.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            // NotSupportedException: System.Text.Json's answer to a missing or unknown type discriminator ("target") of a polymorphic part.
            throw new ArgumentException($"the model config stored in the checkpoint is incomplete or not valid: {e.Message}", e);
        }
    }
}
