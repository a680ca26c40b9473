using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Pipeline.Tests.Hosting;

/// <summary>The assemblies a built assembly references (name → version), read from its metadata without loading it.</summary>
static class AssemblyReferences
{
    /// <summary>The assemblies this repository builds, apart from plugins and test fixtures.</summary>
    public static IReadOnlySet<string> ProjectAssemblies { get; } =
        new HashSet<string> { "Pipeline.Contracts", "Pipeline", "Pipeline.Training", "Pipeline.Plugins", "sdxl" };

    public static IReadOnlyDictionary<string, Version> Of(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return md.AssemblyReferences.Select(md.GetAssemblyReference)
            .ToDictionary(r => md.GetString(r.Name), r => r.Version);
    }
}
