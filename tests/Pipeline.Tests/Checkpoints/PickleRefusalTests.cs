using Pipeline.Checkpoints;
using Xunit;

namespace Pipeline.Tests.Checkpoints;

public class PickleRefusalTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("st-pickle-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The first bytes of a protocol-2 pickle of a dict, as torch.save wrote before zip files.</summary>
    static readonly byte[] PickleBytes = { 0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x06, 0x00, 0x00, 0x00, 0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x71, 0x01, 0x2e };

    [Theory]
    [InlineData("sd_xl_base_1.0.ckpt")]
    [InlineData("model.pt")]
    [InlineData("model.pth")]
    [InlineData("pytorch_model.bin")]
    public void Pickled_checkpoints_are_refused_by_extension_without_reading_them(string name)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, PickleBytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("pickle", e.Message);
        Assert.Contains("execute arbitrary code", e.Message);
        Assert.Contains("convert the checkpoint to .safetensors", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x06 })]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 0x03, 0x04, 0x14, 0x00, 0x00, 0x08 })]
    public void Pickle_or_torch_zip_content_renamed_to_safetensors_is_refused_with_a_hint(byte[] head)
    {
        var path = Path.Combine(_folder, "renamed.safetensors");
        File.WriteAllBytes(path, head.Concat(new byte[64]).ToArray());
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("header length", e.Message);
        Assert.Contains("pickled PyTorch", e.Message);
    }
}
