using Pipeline.Plugins.Recipes;
using Xunit;

namespace Pipeline.Tests.Recipes;

/// <summary>Recipes that would crash the host or the compiler are stopped with a message that says what happened.</summary>
public sealed class RecipeLimitsTests : IDisposable
{
    readonly RecipeWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Theory]
    [InlineData("int Down(int n) => Down(n + 1) + 1;\nDown(0)", 1)]
    [InlineData("int Down(int n)\n{\n    return Down(n + 1) + 1;\n}\nDown(0)", 2)] // the guard sits on the opening brace
    [InlineData("System.Func<int, int> f = null!;\nf = n => f(n + 1) + 1;\nf(0)", 2)]
    [InlineData("System.Action<int> f = null!;\nf = n => f(n + 1);\nf(0);", 2)]
    [InlineData("class Deep { public int P { get { return new Deep().P; } } }\nnew Deep().P", 1)]
    public void Runaway_recursion_is_reported_as_the_recipe_overflowing_the_stack_at_its_line(string text, int line)
    {
        // Its own thread with a known stack, as the CLI's main thread has (a pool thread's is smaller).
        Exception? failure = null;
        var thread = new Thread(() => { try { Run(text, line); } catch (Exception e) { failure = e; } }, maxStackSize: 16 << 20);
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
    }

    void Run(string text, int line)
    {
        var ex = Assert.Throws<RecipeRuntimeException>(() => _ws.NewHost().Run(_ws.Recipe("deep.csx", text), _ws.Globals()));
        Assert.Contains("recipe overflowed the stack", ex.Message);
        Assert.Equal(line, ex.Line);
    }

    [Fact]
    public void Guards_keep_lines_and_behaviour_of_ordinary_code()
    {
        const string text = """
            int Twice(int x) => 2 * x;
            async System.Threading.Tasks.Task Nothing() => await System.Threading.Tasks.Task.Yield();
            void Log(string s) => Progress.Log(s);
            int Fail() => throw new System.InvalidOperationException("at line 4");
            System.Func<int, int> inc = x => x + 1;
            await Nothing();
            Log("hi");
            var sum = Enumerable.Range(0, 4).Select(i => Twice(i)).Sum() + inc(0);
            sum
            """;
        var host = _ws.NewHost();
        Assert.Equal(13, host.Run(_ws.Recipe("ok.csx", text), _ws.Globals()).ReturnValue);
        var ex = Assert.Throws<RecipeRuntimeException>(() => host.Run(_ws.Recipe("fail.csx", text[..text.LastIndexOf('\n')] + "\nFail()"), _ws.Globals()));
        Assert.Equal(4, ex.Line);
    }

    [Fact]
    public void A_five_megabyte_recipe_is_refused_as_too_large_before_compiling()
    {
        var path = Path.Combine(_ws.Root, "huge.csx");
        File.WriteAllText(path, string.Concat(Enumerable.Range(0, 400_000).Select(i => $"var a{i} = {i};\n")));
        Assert.True(new FileInfo(path).Length > 5_000_000);
        var ex = Assert.Throws<RecipeTooLargeException>(() => RecipeSource.FromFile(path));
        Assert.StartsWith("recipe too large: ", ex.Message);
        Assert.Contains("limited to 1 MB", ex.Message);
        Assert.Throws<RecipeTooLargeException>(() => RecipeSource.FromText("huge", new string(' ', RecipeSource.MaxBytes + 1)));
    }
}
