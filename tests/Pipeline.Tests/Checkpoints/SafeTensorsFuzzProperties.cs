using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Checkpoints;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Checkpoints;

/// <summary>
/// Damaged files never crash, hang or over-allocate: opening and reading every tensor either succeeds (reading at most
/// the file's bytes into tensors) or throws <see cref="SafeTensorsFormatException"/> whose message names the file and the problem.
/// </summary>
public class SafeTensorsFuzzProperties : IDisposable
{
    const int Cases = 2000;
    static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    readonly string _folder = Directory.CreateTempSubdirectory("st-fuzz-").FullName;
    readonly byte[] _valid;

    public SafeTensorsFuzzProperties()
    {
        var path = Path.Combine(_folder, "valid.safetensors");
        var tensors = new[]
        {
            new TensorSpec("model.diffusion_model.out.2.weight", "F16", new long[] { 3, 5 }, 1),
            new TensorSpec("conditioner.embedders.0.transformer.text_model.embeddings.position_ids", "I64", new long[] { 1, 4 }, 2),
            new TensorSpec("logit_scale", "BF16", Array.Empty<long>(), 3),
            new TensorSpec("empty", "BOOL", new long[] { 0, 2 }, 4),
            new TensorSpec("x", "F32", new long[] { 2, 2, 2 }, 5),
        };
        var created = tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, t.Create())).ToList();
        SafeTensorsWriter.Write(path, created, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var (_, t) in created) t.Dispose();
        _valid = File.ReadAllBytes(path);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    sealed record Outcome(bool Opened, string? Refusal, Exception? Crash, long ManagedBytes, long TensorBytes);

    static Outcome OpenAndReadAll(string path)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        long tensorBytes = 0;
        try
        {
            using var file = SafeTensorsFile.Open(path);
            foreach (var entry in file.Entries.Values)
            {
                using var t = file.Read(entry.Name);
                tensorBytes += t.numel() * t.ElementSize;
            }
            return new Outcome(true, null, null, GC.GetAllocatedBytesForCurrentThread() - before, tensorBytes);
        }
        catch (SafeTensorsFormatException e) { return new Outcome(false, e.Message, null, GC.GetAllocatedBytesForCurrentThread() - before, tensorBytes); }
        catch (Exception e) { return new Outcome(false, null, e, GC.GetAllocatedBytesForCurrentThread() - before, tensorBytes); }
    }

    [Property(MaxTest = Cases)]
    public Property Damaged_files_are_refused_clearly_or_read_within_their_size() =>
        Prop.ForAll(HeaderMutationArbitrary.Mutation(), mutation =>
        {
            var bytes = HeaderMutationArbitrary.Apply(mutation, _valid);
            var path = Path.Combine(_folder, "damaged.safetensors");
            File.WriteAllBytes(path, bytes);
            var run = Task.Run(() => OpenAndReadAll(path));
            if (!run.Wait(HangLimit)) throw new TimeoutException($"{mutation}: open/read did not finish within {HangLimit}");
            var outcome = run.Result;
            if (outcome.Crash is not null)
                throw new Xunit.Sdk.XunitException($"{mutation}: {outcome.Crash.GetType().Name} instead of SafeTensorsFormatException: {outcome.Crash}");
            if (outcome.TensorBytes > bytes.Length)
                throw new Xunit.Sdk.XunitException($"{mutation}: read {outcome.TensorBytes} tensor bytes from a {bytes.Length}-byte file");
            // Managed allocation: a fixed allowance for the JSON parser and messages plus a small multiple of the file.
            if (outcome.ManagedBytes > 256 * 1024 + 16L * bytes.Length)
                throw new Xunit.Sdk.XunitException($"{mutation}: allocated {outcome.ManagedBytes} managed bytes for a {bytes.Length}-byte file");
            if (outcome.Refusal is { } message)
            {
                if (!message.StartsWith(path + ": ", StringComparison.Ordinal) || message.Length < path.Length + 12)
                    throw new Xunit.Sdk.XunitException($"{mutation}: refusal does not name the file and the problem: '{message}'");
                if (mutation.ExpectedWords is { } words && !words.Any(w => message.Contains(w, StringComparison.Ordinal)))
                    throw new Xunit.Sdk.XunitException($"{mutation}: refusal '{message}' names none of: {string.Join(", ", words)}");
            }
            return true;
        });

    [Fact]
    public void Every_truncation_of_a_valid_file_is_refused_as_too_short()
    {
        var path = Path.Combine(_folder, "cut.safetensors");
        for (int length = 0; length < _valid.Length; length++)
        {
            File.WriteAllBytes(path, _valid[..length]);
            var outcome = OpenAndReadAll(path);
            Assert.True(outcome.Refusal is not null, $"cut at {length} of {_valid.Length}: {(outcome.Crash?.ToString() ?? "accepted")}");
            Assert.True(new[] { "past", "shorter", "ended" }.Any(w => outcome.Refusal!.Contains(w)), $"cut at {length}: {outcome.Refusal}");
        }
    }

    [Fact]
    public void The_undamaged_file_reads()
    {
        var path = Path.Combine(_folder, "valid.safetensors");
        var outcome = OpenAndReadAll(path);
        Assert.True(outcome.Opened, outcome.Refusal ?? outcome.Crash?.ToString());
    }
}
