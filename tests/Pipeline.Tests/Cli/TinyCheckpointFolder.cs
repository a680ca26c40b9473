using Pipeline.Models.Bundles;

namespace Pipeline.Tests.Cli;

/// <summary>A temporary folder holding <paramref name="model"/> saved as a checkpoint, for CLI tests; deleted on dispose.</summary>
sealed class TinyCheckpointFolder : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("sdxl-cli").FullName;

    public string Checkpoint { get; }

    public TinyCheckpointFolder(SdxlModel model)
    {
        Checkpoint = Path.Combine(Dir, "tiny.safetensors");
        model.Save(Checkpoint);
    }

    public string PathOf(string name) => Path.Combine(Dir, name);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
