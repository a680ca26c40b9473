namespace Pipeline.Server.Hosting;

/// <summary>A base checkpoint the server can switch to: A1111's <c>/sd-models</c> item. The hash is known once loaded.</summary>
public sealed record CheckpointEntry(string Path, string ModelName, Models.Bundles.SdxlModelConfig Config)
{
    public string? Hash { get; init; }

    /// <summary>A1111's title: "name.safetensors [hash]" (the hash once known).</summary>
    public string Title => Hash is { } h ? $"{System.IO.Path.GetFileName(Path)} [{h}]" : System.IO.Path.GetFileName(Path);

    /// <summary>Whether <paramref name="name"/> (title, file name, model name, with or without a hash) means this checkpoint.</summary>
    public bool Matches(string name)
    {
        var bare = name.Trim();
        int bracket = bare.IndexOf(" [", StringComparison.Ordinal);
        if (bracket > 0) bare = bare[..bracket];
        return string.Equals(bare, System.IO.Path.GetFileName(Path), StringComparison.OrdinalIgnoreCase)
            || string.Equals(bare, ModelName, StringComparison.OrdinalIgnoreCase)
            || string.Equals(bare, System.IO.Path.GetFullPath(Path), StringComparison.Ordinal);
    }
}
