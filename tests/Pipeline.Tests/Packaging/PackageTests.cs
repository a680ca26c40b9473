using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Server;
using Pipeline.Tests.Server;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: the solution is packed into a folder; outside the repository a sample app restores
/// from that folder (and the public feed for third-party packages) and generates an image; the sampler template makes a
/// plugin whose tests run the test kit's laws, and that plugin loads into a running server without a restart.
/// </summary>
public sealed class PackageTests(ITestOutputHelper output)
{
    static readonly string[] Ids = { "SdxlSharp", "SdxlSharp.Contracts", "SdxlSharp.Plugins", "SdxlSharp.Training", "SdxlSharp.Server",
        "SdxlSharp.Extensions", "SdxlSharp.TestKit", "SdxlSharp.Templates", "SdxlSharp.EmbeddedDefault" };

    [Fact]
    public async Task Packed_packages_build_a_sample_app_and_a_template_plugin_that_loads_into_a_running_server()
    {
        var root = Directory.CreateTempSubdirectory("sdxl-packages").FullName;
        try
        {
            string feed = Path.Combine(root, "feed"), cache = Path.Combine(root, "cache"), hive = Path.Combine(root, "hive");
            var repo = Goldens.RepositoryPaths.Root;
            Run(repo, "dotnet", "pack", Path.Combine(repo, "Pipeline.sln"), "-c", "Release", "--no-build", "-o", feed);
            foreach (var id in Ids)
            {
                var file = Path.Combine(feed, $"{id}.0.1.0.nupkg");
                Assert.True(File.Exists(file), $"{id} was not packed");
                using var zip = ZipFile.OpenRead(file);
                var names = zip.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("LICENSE", names);
                Assert.Contains("README.md", names);
                if (names.Any(n => n.StartsWith("lib/", StringComparison.Ordinal))) Assert.Contains(names, n => n.EndsWith(".xml", StringComparison.Ordinal));
                output.WriteLine($"{id}: {new FileInfo(file).Length / 1024.0:F0} KiB");
            }
            using (var core = ZipFile.OpenRead(Path.Combine(feed, "SdxlSharp.0.1.0.nupkg")))
            {
                var nuspec = new StreamReader(core.GetEntry("SdxlSharp.nuspec")!.Open()).ReadToEnd();
                Assert.DoesNotContain("libtorch", nuspec);       // the app chooses its LibTorch
                Assert.NotNull(core.GetEntry("buildTransitive/SdxlSharp.targets"));
            }
            // Packages restore from the feed; third-party ones come from the public feed, with the machine's package
            // cache as a read-only fallback (so LibTorch is not unpacked again) and a fresh cache for ours.
            File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{cache}" /></config>
                  <fallbackPackageFolders><add key="machine" value="{MachinePackages}" /></fallbackPackageFolders>
                  <packageSources><add key="local" value="{feed}" /></packageSources>
                </configuration>
                """);
            // The machine's remote feeds (its user NuGet.Config; nuget.org when it has none).
            var userConfig = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "NuGet", "NuGet.Config");
            var feeds = File.Exists(userConfig)
                ? File.ReadAllLines(userConfig).Where(l => l.Contains("<add key=", StringComparison.Ordinal) && l.Contains("http", StringComparison.Ordinal)).Select(l => l.Trim()).ToList()
                : new List<string>();
            if (feeds.Count == 0) feeds.Add("""<add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />""");
            File.WriteAllText(Path.Combine(root, "nuget.config"), File.ReadAllText(Path.Combine(root, "nuget.config")).Replace("</packageSources>", string.Concat(feeds) + "</packageSources>"));

            // The sample app: only the packages, outside the repository.
            var app = Path.Combine(root, "HelloSdxl");
            Directory.CreateDirectory(app);
            foreach (var file in Directory.GetFiles(Path.Combine(repo, "tests", "Packaging", "HelloSdxl")))
                File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
            var png = Path.Combine(root, "hello.png");
            var said = Run(app, "dotnet", "run", "-c", "Release", "--", png);
            Assert.Contains("Size: 64x64", said);
            Assert.Equal((64, 64), Pipeline.Imaging.ImageHeader.Size(png));

            // The template: a plugin and its law tests.
            Run(root, "dotnet", "new", "install", Path.Combine(feed, "SdxlSharp.Templates.0.1.0.nupkg"), "--debug:custom-hive", hive);
            Run(root, "dotnet", "new", "sdxl-sampler", "-n", "Swirl", "-o", Path.Combine(root, "Swirl"), "--debug:custom-hive", hive);
            var tested = Run(Path.Combine(root, "Swirl"), "dotnet", "test", Path.Combine("Swirl.Tests", "Swirl.Tests.csproj"), "-c", "Release");
            Assert.Contains("Passed!", tested);
            Assert.Contains("Total:     5", tested.Replace("Total: 5", "Total:     5"));

            // Into a running server: the plugin folder is watched; the new sampler is used without a restart.
            var plugins = Path.Combine(root, "plugins");
            Directory.CreateDirectory(plugins);
            await using var h = await ServerHarness.Start(s => s with { PluginDirectories = new[] { plugins }, HotReload = true });
            var (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("sampler_name", "swirl"), ("scheduler", "legacy_ddpm")));
            Assert.Equal(422, status);
            Hosting.PluginFolders.CopyFolder(Path.Combine(root, "Swirl", "Swirl", "bin", "Release", "net10.0"), Path.Combine(plugins, "Swirl"));
            for (int i = 0; i < 200 && (await h.Get("/v1/plugins")).GetProperty("generation").GetInt32() < 2; i++) await Task.Delay(50);
            var loaded = await h.Get("/v1/plugins");
            Assert.Contains(loaded.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("name").GetString() == "Swirl" && p.GetProperty("status").GetString() == "loaded");
            (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("sampler_name", "swirl"), ("scheduler", "legacy_ddpm")));
            Assert.True(status == 200, json.ToString());
            Assert.Contains("Sampler: swirl", JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("infotexts")[0].GetString());
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The machine's package cache (NUGET_PACKAGES or ~/.nuget/packages), a read-only fallback for the sample's restore.</summary>
    static string MachinePackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set ? set
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    string Run(string directory, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The test host's MSBuild settings must not leak into the nested builds.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment.Remove("NUGET_PACKAGES");   // it would override the fresh cache nuget.config names
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"{file} {string.Join(' ', args)} did not finish");
        var text = stdout.Result + stderr.Result;
        output.WriteLine($"$ {file} {string.Join(' ', args)}  ({clock.Elapsed.TotalSeconds:F1} s)");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{text}");
        return text;
    }
}
