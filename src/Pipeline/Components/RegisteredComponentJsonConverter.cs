using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Components;

/// <summary>
/// Writes a component as the name it is registered under (a registered value with equal knobs) and reads the name back
/// through <paramref name="registry"/>. A component that is not registered cannot be written; an unknown name fails
/// with the valid names.
/// </summary>
public sealed class RegisteredComponentJsonConverter<T>(ComponentRegistry registry, ComponentKind kind) : JsonConverter<T> where T : class
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"a {ComponentKinds.Display(kind)} is stored by name; valid: {string.Join(", ", registry.Names(kind))}");
        return registry.Get<T>(kind, reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        var registration = registry.All(kind).FirstOrDefault(r => r.Component.Equals(value))
            ?? throw new ArgumentException(
                $"{ComponentKinds.Display(kind)} {value} is not registered, so it cannot be stored by name; registered: {string.Join(", ", registry.All(kind).Select(r => $"{r.Name} = {r.Component}"))}");
        writer.WriteStringValue(registration.Name);
    }
}
