using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.Text;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The only place that touches Roslyn (a cache hit never loads the compiler). Compiles a recipe as a C# script
/// over <see cref="RecipeGlobals"/> with the fixed imports and references, and emits a deterministic assembly
/// named after the cache key plus a portable PDB whose lines are the recipe file's lines. Every method and lambda
/// of the recipe is guarded against runaway recursion first (<see cref="RecipeStackGuard"/>).
/// </summary>
static class RecipeCompiler
{
    /// <summary>Diagnostic id for directives recipes may not use.</summary>
    public const string RefusedDirectiveId = "SDXL0001";

    /// <summary>Diagnostic id for a failure inside the C# compiler itself.</summary>
    public const string CompilerCrashId = "SDXL0002";

    /// <summary>
    /// Compiles the recipe. A crash inside the C# compiler (a Roslyn bug some valid-looking code triggers) is reported
    /// as a compile error of the recipe, never as an unhandled exception.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static RecipeArtifacts Compile(RecipeSource source, string key, CancellationToken cancellation)
    {
        try { return CompileUnguarded(source, key, cancellation); }
        catch (Exception e) when (e is not (RecipeCompileException or OperationCanceledException))
        {
            var inner = e is AggregateException a ? a.Flatten().InnerExceptions[0] : e;
            var where = inner.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at Microsoft.CodeAnalysis", StringComparison.Ordinal));
            throw new RecipeCompileException(source.Name, [new RecipeDiagnostic(source.Name, 0, 0, CompilerCrashId,
                $"the C# compiler failed on this recipe ({inner.GetType().Name}{(where is null ? "" : " " + where)}); this is a compiler bug, not your code's fault: rewrite the statement it chokes on (e.g. a top-level deconstruction of a switch expression)")]);
        }
    }

    static RecipeArtifacts CompileUnguarded(RecipeSource source, string key, CancellationToken cancellation)
    {
        var text = SourceText.From(source.Text, Encoding.UTF8);
        var path = source.FullPath ?? source.Name;
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script);
        var tree = CSharpSyntaxTree.ParseText(text, parseOptions, path, cancellation);
        var refused = RefusedDirectives(tree, source.Name);
        if (refused.Count > 0) throw new RecipeCompileException(source.Name, refused);

        var options = ScriptOptions.Default
            .WithReferences(RecipeImports.References.Select(a => MetadataReference.CreateFromFile(a.Location)))
            .WithImports(RecipeImports.All)
            .WithFilePath(path)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Debug)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithAllowUnsafe(false);
        var script = CSharpScript.Create<object>(source.Text, options, typeof(RecipeGlobals));
        var compilation = script.GetCompilation();
        var unguarded = compilation.SyntaxTrees.Single();
        var unguardedCompilation = compilation;
        compilation = compilation
            .ReplaceSyntaxTree(unguarded, RecipeStackGuard.Insert(unguarded, () => unguardedCompilation.GetSemanticModel(unguarded)))
            .WithAssemblyName("sdxl-recipe-" + key)
            .WithOptions(compilation.Options.WithDeterministic(true));

        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var emitted = compilation.Emit(pe, pdb,
            options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb, pdbFilePath: "recipe.pdb"),
            embeddedTexts: [EmbeddedText.FromSource(path, text)],
            cancellationToken: cancellation);
        if (!emitted.Success)
        {
            var errors = emitted.Diagnostics
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .OrderBy(d => d.Location.SourceSpan.Start)
                .Select(d => ToRecipeDiagnostic(d, source.Name))
                .ToList();
            throw new RecipeCompileException(source.Name, errors);
        }
        var entry = compilation.GetEntryPoint(cancellation)
            ?? throw new InvalidOperationException("the script compilation has no entry point");
        return new RecipeArtifacts(pe.ToArray(), pdb.ToArray(), MetadataName(entry.ContainingType), entry.MetadataName);
    }

    /// <summary>The type's name as reflection spells it (namespace, nesting with '+').</summary>
    static string MetadataName(INamedTypeSymbol type)
    {
        var name = type.MetadataName;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) name = outer.MetadataName + "+" + name;
        var ns = type.ContainingNamespace;
        return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
    }

    /// <summary><c>#r</c> and <c>#load</c>: recipes get their references and code from the host, not from directives.</summary>
    static IReadOnlyList<RecipeDiagnostic> RefusedDirectives(SyntaxTree tree, string name)
    {
        var root = (CompilationUnitSyntax)tree.GetRoot();
        var references = root.GetReferenceDirectives().Select(d => Refuse(d, name,
            $"#r is not supported: recipes compile against the host's assemblies ({string.Join(", ", RecipeImports.HostAssemblies.Select(a => a.GetName().Name))}); use a plugin to bring in other code"));
        var loads = root.GetLoadDirectives().Select(d => Refuse(d, name,
            "#load is not supported: put shared code in a plugin or in this recipe"));
        return references.Concat(loads).OrderBy(d => d.Line).ThenBy(d => d.Column).ToList();
    }

    static RecipeDiagnostic Refuse(DirectiveTriviaSyntax directive, string name, string message)
    {
        var start = directive.GetLocation().GetLineSpan().StartLinePosition;
        return new RecipeDiagnostic(name, start.Line + 1, start.Character + 1, RefusedDirectiveId, message);
    }

    static RecipeDiagnostic ToRecipeDiagnostic(Diagnostic d, string name)
    {
        var message = d.GetMessage(CultureInfo.InvariantCulture);
        if (!d.Location.IsInSource) return new RecipeDiagnostic(name, 0, 0, d.Id, message);
        var start = d.Location.GetLineSpan().StartLinePosition;
        return new RecipeDiagnostic(name, start.Line + 1, start.Character + 1, d.Id, message);
    }
}
