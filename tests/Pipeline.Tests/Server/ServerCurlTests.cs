using System.Diagnostics;
using Pipeline.Models.Bundles;
using Xunit;

namespace Pipeline.Tests.Server;

/// <summary>A real client: scripts/a1111-examples.sh sends A1111's documented API examples with curl to a server of the
/// embedded default (txt2img "puppy dog", 5 steps at A1111's 512² default, then img2img of the result, listings, a 422).</summary>
public sealed class ServerCurlTests
{
    [Fact]
    public async Task A1111s_documented_examples_sent_with_curl_get_valid_PNGs()
    {
        await using var h = await ServerHarness.Start(s => s with { Checkpoints = new[] { EmbeddedModels.Base! } });
        var script = Path.Combine(Goldens.RepositoryPaths.Root, "scripts", "a1111-examples.sh");
        var start = new ProcessStartInfo("bash", new[] { script, h.Server.Address.ToString().TrimEnd('/') })
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "the script did not finish");
        var text = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, text);
        Assert.Contains("Steps: 5, Sampler: Euler, Schedule type: Uniform, CFG scale: 7", text);
        Assert.Contains("all A1111 examples answered", text);
    }
}
