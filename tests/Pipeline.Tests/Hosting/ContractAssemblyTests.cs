using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Pipeline.Components;
using Pipeline.Plugins.Hosting;
using Xunit;

namespace Pipeline.Tests.Hosting;

/// <summary>The contract assembly: what it references, the version it carries, and how the host reads a plugin's version.</summary>
public class ContractAssemblyTests
{
    static readonly Assembly Contracts = typeof(IPluginModule).Assembly;

    [Fact]
    public void The_plugin_contract_lives_in_its_own_assembly()
    {
        Assert.Equal(ContractVersionCheck.ContractAssemblyName, Contracts.GetName().Name);
        foreach (var type in new[] { typeof(IComponentRegistrar), typeof(Diffusion.Sigmas), typeof(Diffusion.Sampling.SamplerLoop),
                     typeof(Diffusion.Sampling.ISampler), typeof(Diffusion.Guidance.IGuider), typeof(global::Pipeline.Generation.INoiseSourceFactory) })
            Assert.Same(Contracts, type.Assembly);
    }

    [Fact]
    public void The_contract_assembly_references_TorchSharp_and_the_framework_only()
    {
        var references = AssemblyReferences.Of(Contracts.Location).Keys;
        var others = references.Where(r => r != "TorchSharp" && r != "netstandard" && r != "mscorlib" && !r.StartsWith("System", StringComparison.Ordinal));
        Assert.Empty(others);
    }

    [Fact]
    public void The_contract_assembly_version_is_the_plugin_contract_version()
    {
        var version = Contracts.GetName().Version!;
        Assert.Equal(PluginContract.Current, new Version(version.Major, version.Minor));
    }

    [Fact]
    public void A_plugin_built_against_contract_1_in_the_library_assembly_is_refused_naming_both_versions()
    {
        using var folder = new TemporaryFolder();
        var legacyContract = Compile(folder, "Pipeline", """
            [assembly: System.Reflection.AssemblyVersion("1.0.0.0")]
            namespace Pipeline.Components { public interface IPluginModule { string Name { get; } } }
            """);
        var plugin = Compile(folder, "Legacy.Plugin", """
            public sealed class LegacyModule : Pipeline.Components.IPluginModule { public string Name => "Legacy.Plugin"; }
            """, legacyContract);

        Assert.Equal(new Version(1, 0, 0, 0), ContractVersionCheck.ReferencedContract(plugin));
        var refusal = ContractVersionCheck.Refusal("Legacy.Plugin", plugin);
        Assert.NotNull(refusal);
        Assert.Contains("contract 1.0", refusal);
        Assert.Contains($"contract {PluginContract.Major}.{PluginContract.Minor}", refusal);
    }

    static string Compile(TemporaryFolder folder, string assemblyName, string source, params string[] references)
    {
        var path = Path.Combine(folder.Path, assemblyName + ".dll");
        var compilation = CSharpCompilation.Create(assemblyName, [CSharpSyntaxTree.ParseText(source)],
            references.Append(typeof(object).Assembly.Location).Append(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.Runtime.dll"))
                .Select(r => MetadataReference.CreateFromFile(r)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return path;
    }

    sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sdxl-contract-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
