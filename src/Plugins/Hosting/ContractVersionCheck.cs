using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

/// <summary>Reads, without loading it, which contract version a plugin assembly was built against.</summary>
public static class ContractVersionCheck
{
    public const string ContractAssemblyName = "Pipeline";

    /// <summary>The version of the Pipeline assembly the plugin references, or null if it references none.</summary>
    public static Version? ReferencedContract(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new BadImageFormatException($"{assemblyPath} is not a .NET assembly");
        var md = pe.GetMetadataReader();
        foreach (var handle in md.AssemblyReferences)
        {
            var reference = md.GetAssemblyReference(handle);
            if (md.GetString(reference.Name) == ContractAssemblyName) return reference.Version;
        }
        return null;
    }

    /// <summary>Null when compatible; otherwise the refusal message naming both versions.</summary>
    public static string? Refusal(string pluginName, string assemblyPath)
    {
        var built = ReferencedContract(assemblyPath);
        if (built is null) return $"plugin '{pluginName}' does not reference the {ContractAssemblyName} contract assembly, so it cannot register components";
        if (built.Major != PluginContract.Major)
            return $"plugin '{pluginName}' was built against plugin contract {built.Major}.{built.Minor}; this host provides contract {PluginContract.Major}.{PluginContract.Minor} (major versions must match: rebuild the plugin against Pipeline {PluginContract.Major}.x)";
        return null;
    }
}
