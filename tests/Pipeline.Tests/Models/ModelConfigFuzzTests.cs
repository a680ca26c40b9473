using System.Diagnostics;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Fuzzing;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Models;

/// <summary>
/// Mutated model configs as a checkpoint's metadata stores them: <see cref="SdxlModelConfigJson.Deserialize"/> gives a
/// config whose parts validate (so it is within <see cref="Pipeline.Models.ModelBounds"/>) and that round-trips, or an
/// <see cref="ArgumentException"/> with a message. Never another exception type, a hang, or unbounded allocation.
/// </summary>
public class ModelConfigFuzzTests(ITestOutputHelper output)
{
    const int Cases = 2000;
    static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);

    [Fact]
    public void Damaged_stored_configs_are_valid_and_bounded_or_refused_with_an_ArgumentException()
    {
        int accepted = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        int ran = FuzzRun.Cases(Cases, PerCase, seed =>
        {
            var (kind, json) = ModelConfigMutation.Apply(seed);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var config = SdxlModelConfigJson.Deserialize(json);
                config.UNet.Validate();
                config.Vae.Validate();
                config.Conditioner.Validate();
                var again = SdxlModelConfigJson.Serialize(SdxlModelConfigJson.Deserialize(SdxlModelConfigJson.Serialize(config)));
                if (again != SdxlModelConfigJson.Serialize(config)) throw new Xunit.Sdk.XunitException($"{kind}: the accepted config does not round-trip");
                Interlocked.Increment(ref accepted);
            }
            catch (ArgumentException e)
            {
                if (string.IsNullOrWhiteSpace(e.Message) || e.Message.StartsWith("Value cannot be null", StringComparison.Ordinal))
                    throw new Xunit.Sdk.XunitException($"{kind}: refusal without a useful message: '{e.Message}'");
                Interlocked.Increment(ref refused);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{kind}: {e.GetType().Name} instead of ArgumentException for {Shorten(json)}: {e}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > (64L << 20) + 64L * json.Length)
                throw new Xunit.Sdk.XunitException($"{kind}: allocated {allocated} managed bytes for a {json.Length}-character config");
        });
        output.WriteLine($"{ran} config cases in {clock.Elapsed.TotalSeconds:F1} s: {accepted} accepted, {refused} refused");
        Assert.True(accepted > 0 && refused > 0, "the mutations reach both outcomes");
    }

    static string Shorten(string json) => json.Length <= 600 ? json : json[..600] + "…";
}
