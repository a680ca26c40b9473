using System.Security.Cryptography;
using System.Text;
using Pipeline.Components;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The name of a compiled recipe in the cache: SHA-256 over the cache format, the plugin contract version, the
/// host and reference assemblies (name, version and module version id, so a rebuilt Pipeline invalidates old
/// compilations), the import list and the recipe text. The file's path is not part of it: the same text compiles once.
/// </summary>
public static class RecipeCacheKey
{
    /// <summary>Bump when the cache layout or the compilation settings change.</summary>
    public const string FormatVersion = "sdxl-recipe-cache/2";

    static readonly Lazy<string> HostPart = new(() =>
    {
        var sb = new StringBuilder();
        sb.Append(FormatVersion).Append('\n');
        sb.Append("contract ").Append(PluginContract.Current).Append('\n');
        foreach (var a in RecipeImports.References)
        {
            var n = a.GetName();
            sb.Append("ref ").Append(n.Name).Append(' ').Append(n.Version).Append(' ')
              .Append(a.ManifestModule.ModuleVersionId.ToString("N")).Append('\n');
        }
        foreach (var i in RecipeImports.All) sb.Append("import ").Append(i).Append('\n');
        return sb.ToString();
    });

    /// <summary>64 lowercase hex digits.</summary>
    public static string Of(string recipeText)
    {
        ArgumentNullException.ThrowIfNull(recipeText);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(HostPart.Value));
        hash.AppendData("text\n"u8);
        hash.AppendData(Encoding.UTF8.GetBytes(recipeText));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
