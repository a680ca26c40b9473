using Xunit;
using Pipeline.Components;
using Pipeline.Plugins.Recipes;

namespace Pipeline.Tests.Recipes;

public sealed class RecipeHostTests : IDisposable
{
    readonly RecipeWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    const string UsesArgsAndRegistry = """
        var steps = Args.Get("steps", 10);
        var name = Args.Require<string>("name");
        var sampler = Registry.Sampler(Args.Get("sampler", "euler"));
        var sigmas = Registry.Discretization("legacy_ddpm");
        Progress.Report("count", steps, steps);
        Progress.Log($"hello {name}");
        $"{name}:{steps}:{sampler.GetType().Name}:{Registry.Names(ComponentKind.Sampler).Count}"
        """;

    [Fact]
    public void Recipe_reads_args_and_registry_reports_progress_and_returns_its_last_expression()
    {
        var progress = new RecordingRecipeProgress();
        var args = RecipeArgs.Parse(["--name", "x", "--steps", "7"]);
        var result = _ws.NewHost().Run(_ws.Recipe("args.csx", UsesArgsAndRegistry), _ws.Globals(args, progress));

        var samplers = ComponentRegistry.BuiltIns.Names(ComponentKind.Sampler).Count;
        var euler = ComponentRegistry.BuiltIns.Sampler("euler").GetType().Name;
        Assert.Equal($"x:7:{euler}:{samplers}", result.ReturnValue);
        Assert.False(result.CompiledFromCache);
        Assert.Equal(
            new RecipeProgressEvent[] { new RecipeProgressEvent.Step("count", 7, 7), new RecipeProgressEvent.Logged("hello x") },
            progress.Events);
    }

    [Fact]
    public void Second_run_of_unchanged_text_loads_the_cached_assembly_without_the_compiler_and_an_edit_recompiles()
    {
        var source = _ws.Recipe("cached.csx", "Args.Get(\"n\", 1) * 2");
        var first = _ws.NewHost();
        var compiled = first.Run(source, _ws.Globals(RecipeArgs.Parse(["--n", "21"])));
        Assert.False(compiled.CompiledFromCache);
        Assert.Equal(1, first.CompilerInvocations);
        Assert.True(File.Exists(Path.Combine(first.CachePathOf(source), "recipe.dll")));
        Assert.True(File.Exists(Path.Combine(first.CachePathOf(source), "recipe.pdb")));

        // A new host (as a new process would be) finds the compiled recipe on disk.
        var second = _ws.NewHost();
        var cached = second.Run(RecipeSource.FromFile(source.FullPath!), _ws.Globals(RecipeArgs.Parse(["--n", "5"])));
        Assert.True(cached.CompiledFromCache);
        Assert.Equal(0, second.CompilerInvocations);
        Assert.Equal(42, compiled.ReturnValue);
        Assert.Equal(10, cached.ReturnValue);
        Assert.True(cached.CompileTime < compiled.CompileTime,
            $"cached load {cached.CompileTime.TotalMilliseconds} ms vs compile {compiled.CompileTime.TotalMilliseconds} ms");

        // The same host again: already loaded, still no compiler.
        Assert.True(second.Run(source, _ws.Globals()).CompiledFromCache);
        Assert.Equal(0, second.CompilerInvocations);

        // Editing the text changes the key: compiled afresh, new result.
        var edited = _ws.Recipe("cached.csx", "Args.Get(\"n\", 1) * 3");
        var recompiled = second.Run(edited, _ws.Globals(RecipeArgs.Parse(["--n", "5"])));
        Assert.False(recompiled.CompiledFromCache);
        Assert.Equal(1, second.CompilerInvocations);
        Assert.Equal(15, recompiled.ReturnValue);
        Assert.NotEqual(first.CachePathOf(source), second.CachePathOf(edited));
    }

    [Fact]
    public void Compile_errors_list_every_error_at_its_file_line_and_column()
    {
        var source = _ws.Recipe("broken.csx", """
            var steps = Args.Get("steps", 10);
            // a comment
                var x = undefinedName + 1;
            int y = "text";
            """);
        var host = _ws.NewHost();
        var error = Assert.Throws<RecipeCompileException>(() => host.Run(source, _ws.Globals()));

        Assert.Equal(source.Name, error.Recipe);
        Assert.Collection(error.Errors,
            d => Assert.Equal((3, 13, "CS0103"), (d.Line, d.Column, d.Id)),
            d => Assert.Equal((4, 9, "CS0029"), (d.Line, d.Column, d.Id)));
        var lines = error.Message.Split(Environment.NewLine);
        Assert.StartsWith($"{source.Name}:3:13: error CS0103: The name 'undefinedName' does not exist", lines[0]);
        Assert.StartsWith($"{source.Name}:4:9: error CS0029: Cannot implicitly convert type 'string' to 'int'", lines[1]);
        Assert.False(Directory.Exists(host.CachePathOf(source)));
    }

    /// <summary>Roslyn 5.x throws NullReferenceException binding a top-level deconstruction of a switch expression in a script.</summary>
    [Fact]
    public void A_crash_inside_the_CSharp_compiler_is_a_compile_error_of_the_recipe_not_an_unhandled_exception()
    {
        var source = _ws.Recipe("crash.csx", """
            var mode = Args.Get("mode", "a");
            var (x, y) = mode switch { "a" => (1, 2.0), _ => (3, 4.0) };
            x
            """);
        var host = _ws.NewHost();
        var error = Assert.Throws<RecipeCompileException>(() => host.Run(source, _ws.Globals()));
        var only = Assert.Single(error.Errors);
        Assert.Equal("SDXL0002", only.Id);
        Assert.Contains("the C# compiler failed on this recipe", only.Message);
        Assert.False(Directory.Exists(host.CachePathOf(source)));
    }

    [Fact]
    public void Runtime_errors_name_the_recipe_line_on_first_compile_and_when_loaded_from_cache()
    {
        var source = _ws.Recipe("fails.csx", """
            var steps = Args.Get("steps", 10);
            Progress.Log("before");

            var sampler = Registry.Sampler(Args.Get("sampler", "euler"));
            int Half(int n) =>
                n % 2 == 0 ? n / 2 : throw new InvalidOperationException($"odd {n}");
            Half(steps)
            """);

        RecipeRuntimeException Fails(RecipeHost host, params string[] args) =>
            Assert.Throws<RecipeRuntimeException>(() => host.Run(source, _ws.Globals(RecipeArgs.Parse(args))));

        // Thrown inside the library (unknown sampler): the recipe line that called it.
        var compiledHost = _ws.NewHost();
        var unknown = Fails(compiledHost, "--sampler", "eulr");
        Assert.Equal(4, unknown.Line);
        Assert.IsType<UnknownComponentException>(unknown.InnerException);
        Assert.StartsWith($"{source.Name}:4: UnknownComponentException: unknown sampler 'eulr'; valid: ", unknown.Message);
        Assert.Equal(1, compiledHost.CompilerInvocations);

        // Thrown by the recipe's own code: the innermost recipe line, inside the local function.
        var odd = Fails(compiledHost, "--steps", "7");
        Assert.Equal(6, odd.Line);
        Assert.Equal($"{source.Name}:6: InvalidOperationException: odd 7", odd.Message);

        // From the disk cache, in a host that never compiled it.
        var cachedHost = _ws.NewHost();
        Assert.Equal(4, Fails(cachedHost, "--sampler", "eulr").Line);
        Assert.Equal(6, Fails(cachedHost, "--steps", "7").Line);
        Assert.Equal(0, cachedHost.CompilerInvocations);
        Assert.Equal(5, cachedHost.Run(source, _ws.Globals(RecipeArgs.Parse(["--steps", "10"]))).ReturnValue);
    }

    [Fact]
    public void Argument_errors_inside_a_recipe_name_the_line_and_list_the_keys_given()
    {
        var source = _ws.Recipe("needs-prompt.csx", "var seed = Args.Get(\"seed\", 0);\nvar prompt = Args.Require<string>(\"prompt\");\nprompt");
        var error = Assert.Throws<RecipeRuntimeException>(() =>
            _ws.NewHost().Run(source, _ws.Globals(RecipeArgs.Parse(["--seed", "3", "--name", "x"]))));
        Assert.Equal(2, error.Line);
        Assert.Contains("missing required argument --prompt (string); given: --name, --seed", error.Message);
    }

    [Theory]
    [InlineData("#r \"System.Net.Http.dll\"\n1", "#r")]
    [InlineData("// uses nuget\n#r \"nuget: Newtonsoft.Json, 13.0.3\"\n1", "#r")]
    [InlineData("#load \"other.csx\"\n1", "#load")]
    public void Reference_and_load_directives_are_refused_with_a_compile_error(string text, string directive)
    {
        var source = _ws.Recipe("directive.csx", text);
        var error = Assert.Throws<RecipeCompileException>(() => _ws.NewHost().Run(source, _ws.Globals()));
        var d = Assert.Single(error.Errors);
        Assert.Equal((text.StartsWith("//") ? 2 : 1, 1, "SDXL0001"), (d.Line, d.Column, d.Id));
        Assert.StartsWith($"{source.Name}:{d.Line}:1: error SDXL0001: {directive} is not supported", error.Message);
    }

    [Fact]
    public void Cancellation_surfaces_as_OperationCanceledException_not_a_recipe_failure()
    {
        var source = _ws.Recipe("loop.csx", """
            var i = 0;
            while (true)
            {
                Cancellation.ThrowIfCancellationRequested();
                Progress.Report("spin", i % 100, 100);
                i++;
            }
            """);
        var host = _ws.NewHost();
        using var cts = new CancellationTokenSource();
        // Ctrl+C arrives while the recipe is in its fifth step.
        var progress = new CancelAt(5, cts);
        var e = Assert.ThrowsAny<OperationCanceledException>(() => host.Run(source, _ws.Globals(progress: progress, cancellation: cts.Token)));
        Assert.IsNotType<RecipeRuntimeException>(e);
        Assert.Equal(5, progress.Reports);

        // Already cancelled: nothing runs.
        var idle = new RecordingRecipeProgress();
        Assert.ThrowsAny<OperationCanceledException>(() => host.Run(source, _ws.Globals(progress: idle, cancellation: cts.Token)));
        Assert.Empty(idle.Events);
    }

    sealed class CancelAt(int reports, CancellationTokenSource cts) : IRecipeProgress
    {
        public int Reports { get; private set; }

        public void Report(string stage, int step, int total)
        {
            if (++Reports == reports) cts.Cancel();
        }

        public void Log(string message) { }
    }

    [Fact]
    public void An_OperationCanceledException_without_cancellation_is_a_recipe_failure()
    {
        var source = _ws.Recipe("timeout.csx", """
            var n = Args.Get("n", 1);
            if (n > 0)
                throw new OperationCanceledException("inner timeout");
            n
            """);
        var e = Assert.Throws<RecipeRuntimeException>(() => _ws.NewHost().Run(source, _ws.Globals()));
        Assert.Equal(3, e.Line);
        Assert.IsType<OperationCanceledException>(e.InnerException);
    }

    [Fact]
    public void Recipes_see_the_fixed_imports_including_torch_and_the_output_folder()
    {
        var source = _ws.Recipe("imports.csx", """
            // Top-level `using X = ...` is a using directive in scripts, so tensors are disposed through a scope.
            var scope = NewDisposeScope();
            var sum = tensor(new float[] { 1, 2, 3 }).sum().item<float>();
            scope.Dispose();
            var path = Output.WriteAtomically("sum.txt", s => { using var w = new StreamWriter(s); w.Write(sum); });
            var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
            new List<string>(lines) { Stages.GetType().Name }
            """);
        var result = _ws.NewHost().Run(source, _ws.Globals());
        Assert.Equal(new List<string> { "6", "RecipeStages" }, result.ReturnValue);
        Assert.True(File.Exists(Path.Combine(_ws.Root, "out", "sum.txt")));
    }
}
