using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Pipeline.Plugins.Recipes;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Fuzzing;

/// <summary>
/// Recipe sources that are random token soup: the host's compile pipeline (parse as a script, bind against the
/// recipe globals, insert the stack guards, collect diagnostics) must answer every one with diagnostics, never crash.
/// 2,000 cases bind without emitting (one shared script compilation, its tree replaced per case); a sample of them also
/// goes through the full <see cref="RecipeCompiler"/> (with emit), which must give a RecipeCompileException or a
/// compiled recipe. <c>PIPELINE_FUZZ_SOAK=N</c> multiplies the counts; <c>PIPELINE_FUZZ_SEED</c> changes the seed.
/// </summary>
public sealed class RecipeSourceFuzzTests(ITestOutputHelper log)
{
    // The shared fuzz settings (FuzzRun): PIPELINE_FUZZ_SOAK multiplies, PIPELINE_FUZZ_SEED shifts this surface's seed.
    static int Soak => FuzzRun.Soak;
    static int Seed => unchecked(20261202 + FuzzRun.BaseSeed);

    static readonly string[] Tokens =
    {
        "var", "x", "y", "Args", "Stages", "Registry", "Output", "Progress", "Cancellation", "Device", "return", "if", "else", "while",
        "for", "foreach", "in", "new", "class", "record", "struct", "static", "void", "int", "string", "object", "async", "await",
        "=>", "=", "==", "+", "-", "*", "/", "%", "!", "?", "??", ":", ";", ",", ".", "(", ")", "{", "}", "[", "]", "<", ">",
        "\"s\"", "\"unterminated", "'c'", "@\"v\"", "$\"{x}\"", "\"\"\"raw\"\"\"", "0", "1.5", "1e308", "0x7FFFFFFF", "null", "true",
        "default", "typeof", "nameof", "throw", "try", "catch", "finally", "using", "goto", "lock", "unsafe", "fixed", "stackalloc",
        "#r \"x.dll\"", "#load \"y.csx\"", "#if", "#endif", "#define", "#pragma", "// c", "/* c", "*/", "\\u0041", "é", "💥", "\t", "\n",
        "Get<int>(\"n\", 1)", "System.Console.WriteLine", "torch.zeros(1)", "=> x", "x => x", "() => { }", "delegate", "operator",
        "this", "base", "get", "set", "init", "yield", "where", "select", "from", "@", "#", "`", "~", "^", "|", "&", "&&", "||",
    };

    static string Soup(Random random)
    {
        var sb = new StringBuilder();
        int n = random.Next(0, 60);
        for (int i = 0; i < n; i++)
        {
            sb.Append(Tokens[random.Next(Tokens.Length)]);
            sb.Append(random.Next(6) == 0 ? '\n' : ' ');
        }
        return sb.ToString();
    }

    [Fact]
    public void Token_soup_always_gets_diagnostics_from_the_compile_pipeline_never_a_crash()
    {
        var random = new Random(Seed);
        var options = ScriptOptions.Default
            .WithReferences(RecipeImports.References.Select(a => MetadataReference.CreateFromFile(a.Location)))
            .WithImports(RecipeImports.All);
        var baseline = CSharpScript.Create<object>("", options, typeof(RecipeGlobals)).GetCompilation();
        var baseTree = baseline.SyntaxTrees.Single();
        int cases = 2000 * Soak, withErrors = 0, clean = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            var source = Soup(random);
            try
            {
                var tree = CSharpSyntaxTree.ParseText(source, (CSharpParseOptions)baseTree.Options, "fuzz.csx");
                var compilation = baseline.ReplaceSyntaxTree(baseTree, tree);
                var guarded = RecipeStackGuard.Insert(tree, () => compilation.GetSemanticModel(tree));
                var diagnostics = compilation.ReplaceSyntaxTree(tree, guarded).GetDiagnostics();
                if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) withErrors++; else clean++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} (seed {Seed}) crashed the compile pipeline with {e.GetType().Name}: {e.Message}\n--- source ---\n{source}");
            }
        }
        log.WriteLine($"{cases} token-soup recipes bound in {clock.Elapsed.TotalSeconds:F1} s: {withErrors} with errors, {clean} clean");
        Assert.Equal(cases, withErrors + clean);
        Assert.True(withErrors > cases / 2, "the generator should mostly produce invalid recipes");
    }

    [Fact]
    public void Full_compiles_of_token_soup_give_compile_errors_or_a_recipe()
    {
        var random = new Random(Seed + 1);
        int cases = 40 * Soak, errors = 0, compiled = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            var source = Soup(random);
            try
            {
                RecipeCompiler.Compile(RecipeSource.FromText("fuzz.csx", source), $"fuzz{i}", CancellationToken.None);
                compiled++;
            }
            catch (RecipeCompileException e)
            {
                Assert.NotEmpty(e.Errors);
                errors++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} (seed {Seed + 1}): {e.GetType().Name}: {e.Message}\n--- source ---\n{source}");
            }
        }
        log.WriteLine($"{cases} full compiles in {clock.Elapsed.TotalSeconds:F1} s: {errors} compile errors, {compiled} compiled");
    }
}
