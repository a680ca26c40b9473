using System.Buffers.Binary;
using System.Diagnostics;
using Pipeline.Imaging;
using Pipeline.Tests.Fuzzing;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Imaging;

/// <summary>
/// Mutated real PNGs through every reader: <see cref="PngImage.Read"/> gives a tensor of the header's size or
/// <see cref="InvalidDataException"/>; <see cref="ImageHeader.Size"/>, <see cref="PngTextChunks.Read"/> and
/// <see cref="PngImage.ReadParametersText"/> answer or throw <see cref="InvalidDataException"/>. Never another
/// exception type, a crash, a hang, or more than a bounded managed allocation.
/// </summary>
public class PngFuzzTests(ITestOutputHelper output) : IDisposable
{
    const int Cases = 2000;
    static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);
    const long ManagedAllowance = 32L << 20;

    readonly string _folder = Directory.CreateTempSubdirectory("png-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Damaged_PNGs_are_read_at_their_header_size_or_refused_as_invalid_data()
    {
        var valid = PngFixtures.Real();
        var kinds = new Dictionary<string, (int Read, int Refused)>();
        var clock = Stopwatch.StartNew();
        int ran = FuzzRun.Cases(Cases, PerCase, seed =>
        {
            var (kind, bytes) = PngMutation.Apply(seed, valid);
            var path = Path.Combine(_folder, $"case-{seed}.png");
            File.WriteAllBytes(path, bytes);
            try
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                bool read = Expect(kind, () =>
                {
                    using var image = PngImage.Read(path);
                    long w = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16)), h = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20));
                    if (image.shape is not [3, var th, var tw] || th != h || tw != w)
                        throw new Xunit.Sdk.XunitException($"{kind}: read [{string.Join(", ", image.shape)}] from a {w}x{h} header");
                    if (ImageHeader.Size(path) != ((int)w, (int)h)) throw new Xunit.Sdk.XunitException($"{kind}: ImageHeader.Size disagrees with the decoded size");
                });
                Expect(kind, () => ImageHeader.Size(path));
                Expect(kind, () => PngTextChunks.Read(bytes, path));
                Expect(kind, () => PngImage.ReadParametersText(path));
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated > ManagedAllowance + 16L * bytes.Length)
                    throw new Xunit.Sdk.XunitException($"{kind}: allocated {allocated} managed bytes for a {bytes.Length}-byte file");
                lock (kinds)
                {
                    var k = kind.Split(':')[0];
                    var (r, f) = kinds.GetValueOrDefault(k);
                    kinds[k] = read ? (r + 1, f) : (r, f + 1);
                }
            }
            finally { File.Delete(path); }
        });
        output.WriteLine($"{ran} PNG cases in {clock.Elapsed.TotalSeconds:F1} s (read/refused by kind): "
            + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value.Read}/{k.Value.Refused}")));
        Assert.True(kinds.Values.Sum(v => v.Refused) > 0 && kinds.Values.Sum(v => v.Read) > 0, "the mutations reach both outcomes");
    }

    /// <summary>True when <paramref name="action"/> succeeded, false when it refused with a message naming the file; anything else fails.</summary>
    bool Expect(string kind, Action action)
    {
        try { action(); return true; }
        catch (InvalidDataException e) when (e.Message.Contains(_folder, StringComparison.Ordinal) && e.Message.Length > _folder.Length + 20) { return false; }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException) { throw new Xunit.Sdk.XunitException($"{kind}: {e.GetType().Name} instead of a clear InvalidDataException: {e}"); }
    }
}
