using Xunit;
using Pipeline.Plugins.Recipes;

namespace Pipeline.Tests.Recipes;

public sealed class RecipeArgsTests
{
    public enum Mode { Handoff, SDEdit }

    [Fact]
    public void Parses_key_value_pairs_equals_form_flags_and_negative_numbers()
    {
        var args = RecipeArgs.Parse(["--steps", "30", "--cfg=7.5", "--fast", "--shift", "-1", "--Mode", "sdedit", "--prompt", "a cat", "--"]);
        Assert.Equal(30, args.Get("steps", 0));
        Assert.Equal(7.5, args.Get("cfg", 0.0));
        Assert.True(args.Get("fast", false));
        Assert.Equal(-1, args.Get("shift", 0));
        Assert.Equal(Mode.SDEdit, args.Require<Mode>("mode"));
        Assert.Equal("a cat", args.Require<string>("PROMPT"));
        Assert.Equal(12L, args.Get("missing", 12L));
        Assert.Null(args.Get<int?>("missing", null));
        Assert.Equal(30, args.Get<int?>("steps", null));
        Assert.Equal(["cfg", "fast", "Mode", "prompt", "shift", "steps"], args.Keys);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("OFF", false)]
    [InlineData("0", false)]
    [InlineData("True", true)]
    public void Booleans_accept_the_usual_words(string text, bool expected) =>
        Assert.Equal(expected, RecipeArgs.Parse(["--b", text]).Require<bool>("b"));

    [Fact]
    public void Missing_required_key_names_it_its_type_and_the_keys_given()
    {
        var e = Assert.Throws<RecipeArgumentException>(() => RecipeArgs.Parse(["--steps", "3", "--name", "x"]).Require<string>("prompt"));
        Assert.Equal("missing required argument --prompt (string); given: --name, --steps", e.Message);
        var none = Assert.Throws<RecipeArgumentException>(() => RecipeArgs.Empty.Require<int>("steps"));
        Assert.Equal("missing required argument --steps (int); given: none", none.Message);
    }

    [Fact]
    public void Malformed_values_name_the_expected_type_and_for_enums_the_valid_names()
    {
        var args = RecipeArgs.Parse(["--steps", "many", "--mode", "both", "--cfg", "NaN"]);
        Assert.Equal("argument --steps: 'many' is not a valid int; given: --cfg, --mode, --steps",
            Assert.Throws<RecipeArgumentException>(() => args.Get("steps", 20)).Message);
        Assert.Equal("argument --mode: 'both' is not a valid Mode (one of: Handoff, SDEdit); given: --cfg, --mode, --steps",
            Assert.Throws<RecipeArgumentException>(() => args.Require<Mode>("mode")).Message);
        Assert.Contains("'NaN' is not a valid double", Assert.Throws<RecipeArgumentException>(() => args.Get("cfg", 1.0)).Message);
    }

    [Fact]
    public void Unsupported_types_positional_words_and_repeated_keys_are_refused()
    {
        Assert.Contains("supported: string, int, long, float, double, decimal, bool",
            Assert.Throws<RecipeArgumentException>(() => RecipeArgs.Empty.Get("when", DateTime.Now)).Message);
        Assert.Equal("expected --key value, got 'stray'; given: --a",
            Assert.Throws<RecipeArgumentException>(() => RecipeArgs.Parse(["--a", "1", "stray"])).Message);
        Assert.Equal("argument --A given twice; given: --a",
            Assert.Throws<RecipeArgumentException>(() => RecipeArgs.Parse(["--a", "1", "--A", "2"])).Message);
    }

    [Fact]
    public void Arguments_are_values_print_as_typed_and_compare_by_content()
    {
        var a = RecipeArgs.Parse(["--name", "a cat", "--steps", "3"]);
        Assert.Equal("--name \"a cat\" --steps 3", a.ToString());
        Assert.Equal(a, RecipeArgs.From([new("steps", "3"), new("name", "a cat")]));
        Assert.NotEqual(a, a.With("seed", "1"));
    }

    [Fact]
    public void Asking_for_a_host_option_the_recipe_was_not_given_names_how_to_read_it()
    {
        var hints = new Dictionary<string, string> { ["out"] = "Output.Folder" };
        var a = RecipeArgs.Parse(new[] { "--steps", "3" }).WithHostOptions(hints);
        var e = Assert.Throws<RecipeArgumentException>(() => a.Get("out", "o"));
        Assert.Contains("--out is the host's own option", e.Message);
        Assert.Contains("Output.Folder", e.Message);
        Assert.Throws<RecipeArgumentException>(() => a.Require<string>("OUT"));
        Assert.Equal(3, a.Get("steps", 0));
        // given to the recipe after a lone "--", it is the recipe's own
        var own = RecipeArgs.Parse(new[] { "--out", "x" }).WithHostOptions(hints);
        Assert.Equal("x", own.Get("out", "o"));
        Assert.Equal("x", own.Require<string>("out"));
        // and a later With keeps the hints
        Assert.Throws<RecipeArgumentException>(() => a.With("seed", "1").Get("out", "o"));
    }
}
