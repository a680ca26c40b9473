using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Tests.Checkpoints;

public class SafeTensorsRoundTripProperties : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("st-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Property(MaxTest = 150)]
    public Property Write_then_read_gives_back_every_name_dtype_shape_byte_and_metadata() =>
        Prop.ForAll(SafeTensorsFileSetArbitrary.FileSet(), set =>
        {
            var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
            var written = set.Tensors.Select(s => new KeyValuePair<string, Tensor>(s.Name, s.Create())).ToList();
            try
            {
                SafeTensorsWriter.Write(path, written, set.Metadata);
                using var file = SafeTensorsFile.Open(path);
                if (!file.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal).SequenceEqual(set.Tensors.Select(t => t.Name).OrderBy(k => k, StringComparer.Ordinal)))
                    return false;
                if (file.Metadata.Count != set.Metadata.Count || set.Metadata.Any(kv => !file.Metadata.TryGetValue(kv.Key, out var v) || v != kv.Value))
                    return false;
                foreach (var (name, expected) in written)
                {
                    using var actual = file.Read(name);
                    if (actual.dtype != expected.dtype || !actual.shape.SequenceEqual(expected.shape)) return false;
                    if (expected.numel() > 0 && !actual.bytes.SequenceEqual(expected.bytes)) return false;
                }
                return true;
            }
            finally
            {
                foreach (var (_, t) in written) t.Dispose();
                File.Delete(path);
            }
        });
}
