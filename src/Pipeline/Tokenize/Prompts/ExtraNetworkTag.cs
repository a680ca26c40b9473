using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// An A1111 extra-network tag such as <c>&lt;lora:name:0.8&gt;</c>: <see cref="Kind"/> ("lora", "lyco", "hypernet", …)
/// and its colon-separated arguments (the first is the network's name). A1111 removes these tags from the prompt
/// before parsing it and applies the networks separately.
/// </summary>
public sealed record ExtraNetworkTag(string Kind, ImmutableArray<string> Arguments)
{
    /// <summary>The network's name (the first argument).</summary>
    public string Name => Arguments.IsDefaultOrEmpty ? "" : Arguments[0];

    public override string ToString() => $"<{Kind}:{string.Join(":", Arguments)}>";

    public bool Equals(ExtraNetworkTag? other) => other is not null && Kind == other.Kind && Arguments.SequenceEqual(other.Arguments);

    public override int GetHashCode() => HashCode.Combine(Kind, Name);
}

/// <summary>A1111's extra-network tags (<c>modules/extra_networks.py</c>): <c>&lt;word:anything but &gt;&gt;</c>.</summary>
public static partial class ExtraNetworks
{
    [GeneratedRegex(@"<(\w+):([^>]+)>", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    /// <summary>The prompt with every tag removed, and the tags in order.</summary>
    public static (string Prompt, ImmutableArray<ExtraNetworkTag> Tags) Strip(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var tags = ImmutableArray.CreateBuilder<ExtraNetworkTag>();
        var stripped = TagPattern().Replace(prompt, m =>
        {
            tags.Add(new ExtraNetworkTag(m.Groups[1].Value, m.Groups[2].Value.Split(':').ToImmutableArray()));
            return "";
        });
        return (stripped, tags.ToImmutable());
    }
}
