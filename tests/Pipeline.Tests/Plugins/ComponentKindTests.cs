using Pipeline.Components;
using Xunit;

namespace Pipeline.Tests.Plugins;

/// <summary>Every declared component kind is live: it has a typed contract and the built-ins register at least one of it.</summary>
public class ComponentKindTests
{
    public static IEnumerable<object[]> Kinds => Enum.GetValues<ComponentKind>().Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_has_an_interface_contract_and_built_in_components(ComponentKind kind)
    {
        Assert.True(ComponentKinds.ContractOf(kind).IsInterface, $"{kind} has no interface contract");
        Assert.NotEmpty(ComponentRegistry.BuiltIns.All(kind));
    }
}
