using Pipeline.Components;
using Pipeline.Tests.Goldens;
using Xunit;

namespace Pipeline.Tests.Hosting;

/// <summary>
/// First-party plugins are built as a third party would build them: against the contract assembly only, which (with
/// TorchSharp) the host shares instead of each plugin carrying a copy.
/// </summary>
public class FirstPartyPluginReferenceTests
{
    public static TheoryData<string> FirstPartyPlugins { get; } =
        new() { "Samplers.KDiffusion", "Schedules.ComfyUI", "Guiders.Rescale", "Template.Sampler" };

    static string PluginFolder(string name) => Path.Combine(RepositoryPaths.Root, "artifacts", "plugins", name);

    [Theory, MemberData(nameof(FirstPartyPlugins))]
    public void A_first_party_plugin_references_no_project_assembly_but_the_contracts(string name)
    {
        var references = AssemblyReferences.Of(Path.Combine(PluginFolder(name), name + ".dll"));
        var project = references.Keys.Where(AssemblyReferences.ProjectAssemblies.Contains).ToList();
        Assert.Equal(new[] { "Pipeline.Contracts" }, project);
        Assert.Equal(PluginContract.Major, references["Pipeline.Contracts"].Major);
    }

    [Theory, MemberData(nameof(FirstPartyPlugins))]
    public void A_first_party_plugin_folder_carries_no_copy_of_a_shared_assembly(string name)
    {
        var shared = AssemblyReferences.ProjectAssemblies.Append("TorchSharp").Select(a => a + ".dll").ToHashSet();
        var copies = Directory.GetFiles(PluginFolder(name), "*.dll").Select(Path.GetFileName).Where(f => shared.Contains(f!));
        Assert.Empty(copies);
    }
}
