using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Models.Bundles;

/// <summary>
/// Settings records round-trip as JSON. A checkpoint this library writes carries its config in the safetensors
/// metadata (<see cref="MetadataKey"/>), so models of any size (e.g. the tiny default) load without guessing;
/// released SDXL files have none and are recognised by their keys.
/// </summary>
public static class SdxlModelConfigJson
{
    public const string MetadataKey = "pipeline.model_config";

    static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(SdxlModelConfig config) => JsonSerializer.Serialize(config, Options);

    public static SdxlModelConfig Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SdxlModelConfig>(json, Options) ?? throw new JsonException("empty config");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"the model config stored in the checkpoint is not valid: {e.Message}", e);
        }
    }
}
