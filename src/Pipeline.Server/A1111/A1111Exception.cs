namespace Pipeline.Server.A1111;

/// <summary>A request field that cannot be used, answered 422 with FastAPI's error shape naming <see cref="Field"/>.</summary>
public sealed class A1111Exception(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
