using System.Diagnostics;
using Pipeline.Plugins.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Fuzzing;

/// <summary>
/// Plugin folders with hostile contents: random bytes named like the plugin's assembly, an empty or truncated copy of a
/// real plugin, a real plugin with flipped bytes, a directory where the assembly should be, garbage deps.json, no
/// assembly at all. The host must report every folder it finds (loaded, failed or refused, with a reason) and never
/// throw or hang. 2,000 folders per run (100 loads of 20 folders); <c>PIPELINE_FUZZ_SOAK=N</c> multiplies them.
/// </summary>
public sealed class PluginFolderFuzzTests(ITestOutputHelper log)
{
    // The shared fuzz settings (FuzzRun): PIPELINE_FUZZ_SOAK multiplies, PIPELINE_FUZZ_SEED shifts this surface's seed.
    static int Soak => FuzzRun.Soak;
    static int Seed => unchecked(20261202 + FuzzRun.BaseSeed);

    static byte[] RealPlugin()
    {
        var root = Goldens.RepositoryPaths.Root;
        return File.ReadAllBytes(Path.Combine(root, "artifacts", "plugins", "Template.Sampler", "Template.Sampler.dll"));
    }

    static void MakeFolder(string root, string name, Random random, byte[] real)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        var dll = Path.Combine(folder, name + ".dll");
        switch (random.Next(8))
        {
            case 0: File.WriteAllBytes(dll, RandomBytes(random, random.Next(0, 4096))); break;
            case 1: File.WriteAllBytes(dll, Array.Empty<byte>()); break;
            case 2: File.WriteAllBytes(dll, real[..random.Next(1, real.Length)]); break;
            case 3:
                var flipped = (byte[])real.Clone();
                for (int k = random.Next(1, 16); k > 0; k--) flipped[random.Next(flipped.Length)] ^= (byte)random.Next(1, 256);
                File.WriteAllBytes(dll, flipped);
                break;
            case 4: Directory.CreateDirectory(dll); break;
            case 5:
                File.WriteAllBytes(dll, RandomBytes(random, 512));
                File.WriteAllText(Path.Combine(folder, name + ".deps.json"), "{ \"runtimeTarget\": " + random.Next());
                break;
            case 6: File.WriteAllText(Path.Combine(folder, "readme.txt"), "no assembly here"); break;
            default:
                var mz = RandomBytes(random, 2048);
                mz[0] = (byte)'M';
                mz[1] = (byte)'Z';
                File.WriteAllBytes(dll, mz);
                break;
        }
    }

    static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Hostile_plugin_folders_are_reported_never_thrown()
    {
        var random = new Random(Seed);
        var real = RealPlugin();
        int loads = 100 * Soak, perLoad = 20, reported = 0, loaded = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < loads; i++)
        {
            var root = Directory.CreateTempSubdirectory("plugin-fuzz").FullName;
            try
            {
                for (int j = 0; j < perLoad; j++) MakeFolder(root, $"Fuzz{i}_{j}", random, real);
                PluginSnapshot snapshot;
                try { snapshot = PluginHost.LoadOnce(new PluginHostOptions(new[] { root }, RegisterTimeout: TimeSpan.FromSeconds(5))); }
                catch (Exception e) { Assert.Fail($"load {i} (seed {Seed}) threw {e.GetType().Name}: {e.Message}"); throw; }
                foreach (var p in snapshot.Plugins)
                {
                    reported++;
                    if (p.Status == PluginStatus.Loaded) loaded++;
                    else Assert.False(string.IsNullOrWhiteSpace(p.Reason), $"{p.Name}: {p.Status} without a reason");
                }
            }
            finally { Directory.Delete(root, recursive: true); }
        }
        log.WriteLine($"{loads * perLoad} hostile plugin folders in {clock.Elapsed.TotalSeconds:F1} s: {reported} reported ({loaded} loaded)");
        Assert.True(reported > loads * perLoad / 2, $"only {reported} of {loads * perLoad} folders were reported");
    }
}
