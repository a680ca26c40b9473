using System.Security.Cryptography;

namespace Pipeline.Adapters;

/// <summary>
/// The hashes A1111 shows for a LoRA (<c>Lora hashes: "name: 0123456789ab"</c>): for a safetensors file the
/// “addnet” hash, SHA-256 of the bytes after the header (the 8-byte length and the JSON header are skipped, so editing
/// the metadata does not change it), and its first 12 hex digits. (A1111 prefers a precomputed <c>sshs_model_hash</c>
/// from the file's metadata when there is one; kohya writes the same value there.)
/// </summary>
/// <param name="Addnet">64 lowercase hex digits.</param>
public sealed record AdapterHashes(string Addnet)
{
    /// <summary>The first 12 hex digits of <see cref="Addnet"/> (what A1111 writes into image parameters).</summary>
    public string Short => Addnet[..12];

    /// <summary>Hashes the file at <paramref name="path"/> (a safetensors file; its header length is read from the first 8 bytes).</summary>
    public static AdapterHashes Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var prefix = new byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BitConverter.ToUInt64(prefix);
        if (headerLength > (ulong)(stream.Length - 8)) throw new ArgumentException($"{path}: header length {headerLength} runs past the end of the file");
        stream.Seek(8 + (long)headerLength, SeekOrigin.Begin);
        return new AdapterHashes(Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant());
    }
}
