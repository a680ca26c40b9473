using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

/// <summary>Reads, without loading it, which contract version a plugin assembly was built against.</summary>
public static class ContractVersionCheck
{
    /// <summary>The assembly that carries the plugin contract (since contract 2.0).</summary>
    public const string ContractAssemblyName = "Pipeline.Contracts";

    /// <summary>Where contract 1.x lived: the library itself. A plugin that references it was built against 1.x.</summary>
    public const string LegacyContractAssemblyName = "Pipeline";

    /// <summary>
    /// The contract version the plugin references: its reference to <see cref="ContractAssemblyName"/>, else its
    /// reference to the 1.x contract in <see cref="LegacyContractAssemblyName"/>; null if it references neither.
    /// </summary>
    public static Version? ReferencedContract(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new BadImageFormatException($"{assemblyPath} is not a .NET assembly");
        var md = pe.GetMetadataReader();
        var references = md.AssemblyReferences.Select(md.GetAssemblyReference)
            .ToDictionary(r => md.GetString(r.Name), r => r.Version);
        if (references.TryGetValue(ContractAssemblyName, out var contract)) return contract;
        return references.TryGetValue(LegacyContractAssemblyName, out var legacy) && legacy.Major == 1 ? legacy : null;
    }

    /// <summary>Null when compatible; otherwise the refusal message naming both versions.</summary>
    public static string? Refusal(string pluginName, string assemblyPath)
    {
        var built = ReferencedContract(assemblyPath);
        if (built is null) return $"plugin '{pluginName}' does not reference the {ContractAssemblyName} contract assembly, so it cannot register components";
        if (built.Major != PluginContract.Major)
            return $"plugin '{pluginName}' was built against plugin contract {built.Major}.{built.Minor}; this host provides contract {PluginContract.Major}.{PluginContract.Minor} (major versions must match: rebuild the plugin against {ContractAssemblyName} {PluginContract.Major}.x)";
        return null;
    }
}
