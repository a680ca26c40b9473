using Pipeline.Components;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Recipes;
using Pipeline.Tests.Goldens;
using Pipeline.Tests.Stages;
using Xunit;

namespace Pipeline.Tests.Recipes;

/// <summary>The recipes in recipes/ compile and run end to end on tiny random-weight checkpoints.</summary>
public sealed class ShippedRecipeTests : IDisposable
{
    readonly RecipeWorkspace _ws = new();
    readonly string _base, _refiner;

    public ShippedRecipeTests()
    {
        _base = Path.Combine(_ws.Root, "base.safetensors");
        _refiner = Path.Combine(_ws.Root, "refiner.safetensors");
        using (var m = SdxlModel.Create(TinyModels.Base)) m.Save(_base);
        using (var r = SdxlModel.Create(TinyModels.Refiner)) r.Save(_refiner);
    }

    public void Dispose() => _ws.Dispose();

    RecipeRunResult Run(string recipe, params string[] args)
    {
        var progress = new RecordingRecipeProgress();
        var globals = new RecipeGlobals(RecipeArgs.Parse(args), ComponentRegistry.BuiltIns, progress, new RecipeOutput(Path.Combine(_ws.Root, "out")),
            default, new RecipeStages(ComponentRegistry.BuiltIns, progress));
        return _ws.NewHost().Run(RecipeSource.FromFile(Path.Combine(RepositoryPaths.Root, "recipes", recipe)), globals);
    }

    [Fact]
    public void Compare_samplers_writes_a_labelled_grid_of_samplers_by_step_counts()
    {
        var result = Run("compare-samplers.csx", "--checkpoint", _base, "--width", "32", "--height", "32", "--samplers", "euler,heun", "--steps", "2,3");
        var path = Path.Combine(_ws.Root, "out", "compare-samplers-0.png");
        Assert.Contains(path, (string)result.ReturnValue!);
        using var grid = PngImage.Read(path);
        Assert.True(grid.shape[1] > 2 * 32 && grid.shape[2] > 2 * 32, "two rows and two columns of 32 px cells plus labels");
    }

    [Fact]
    public void Txt2img_img2img_and_refine_recipes_write_pngs_with_parameters()
    {
        Run("txt2img.csx", "--prompt", "a red circle", "--checkpoint", _base, "--width", "32", "--height", "32", "--steps", "3", "--seed", "5");
        var first = Path.Combine(_ws.Root, "out", "txt2img-5.png");
        Assert.Equal("a red circle", PngImage.ReadParameters(first)!.Prompt);

        Run("img2img.csx", "--image", first, "--prompt", "a blue square", "--checkpoint", _base, "--steps", "4", "--strength", "0.5");
        Assert.Equal("0.5", PngImage.ReadParameters(Path.Combine(_ws.Root, "out", "img2img-0.png"))!.Extra!["Denoising strength"]);

        Run("refine.csx", "--prompt", "a red circle", "--checkpoint", _base, "--refiner", _refiner, "--width", "32", "--height", "32",
            "--steps", "5", "--refiner-steps", "2");
        foreach (var name in new[] { "base-0.png", "refined-handoff-0.png", "refined-sdedit-0.png", "refine-0.png" })
            Assert.True(File.Exists(Path.Combine(_ws.Root, "out", name)), name);
        Assert.Equal("handoff", PngImage.ReadParameters(Path.Combine(_ws.Root, "out", "refined-handoff-0.png"))!.Extra!["Refiner mode"]);
    }

    [Theory]
    [InlineData("lightning", "trailing", "UNet evaluations: 4 × batch 1")]
    [InlineData("turbo", "trailing", "UNet evaluations: 1 × batch 1")]
    public void The_few_step_recipe_runs_each_mode_without_the_unconditional_half(string mode, string schedule, string evaluations)
    {
        var progress = new RecordingRecipeProgress();
        var globals = new RecipeGlobals(RecipeArgs.Parse(new[] { "--mode", mode, "--prompt", "a red circle", "--checkpoint", _base, "--width", "32", "--height", "32" }),
            ComponentRegistry.BuiltIns, progress, new RecipeOutput(Path.Combine(_ws.Root, "out")), default, new RecipeStages(ComponentRegistry.BuiltIns, progress));
        _ws.NewHost().Run(RecipeSource.FromFile(Path.Combine(RepositoryPaths.Root, "recipes", "few-step.csx")), globals);
        var log = string.Join("\n", progress.Events.OfType<RecipeProgressEvent.Logged>().Select(e => e.Message));
        Assert.Contains(evaluations, log);
        Assert.Contains($"schedule       {schedule}", log);
        Assert.Contains("IdentityGuider", log);
        var parameters = PngImage.ReadParameters(Path.Combine(_ws.Root, "out", $"few-step-{mode}-0.png"))!;
        Assert.Equal(mode == "turbo" ? 0 : 1, parameters.CfgScale);
    }

    [Fact]
    public void The_train_lora_recipe_trains_saves_kohya_resumes_and_sweeps_strengths()
    {
        string[] Args(int steps, params string[] more) =>
            ["--checkpoint", _base, "--steps", steps.ToString(), "--batch", "2", "--rank", "2", "--text-encoders", "--strengths", "0,1", .. more];
        var result = Run("train-lora.csx", Args(2));
        var lora = Path.Combine(_ws.Root, "out", "lora.safetensors");
        Assert.Contains(lora, (string)result.ReturnValue!);
        using (var file = Pipeline.Checkpoints.SafeTensorsFile.Open(lora))
        {
            Assert.Equal("2", file.Metadata["ss_steps"]);
            Assert.Contains(file.Entries.Keys, k => k.StartsWith("lora_te1_", StringComparison.Ordinal));
            Assert.Contains(file.Entries.Keys, k => k.StartsWith("lora_te2_text_model_encoder_layers_0_self_attn_q_proj", StringComparison.Ordinal));
            Assert.Contains(file.Entries.Keys, k => k.StartsWith("lora_unet_", StringComparison.Ordinal));
        }
        using (var grid = PngImage.Read(Path.Combine(_ws.Root, "out", "lora-strengths.png"))) Assert.True(grid.shape[2] >= 2 * 64, "two 64 px columns");

        var progress = new RecordingRecipeProgress();
        var globals = new RecipeGlobals(RecipeArgs.Parse(Args(3, "--resume")), ComponentRegistry.BuiltIns, progress,
            new RecipeOutput(Path.Combine(_ws.Root, "out")), default, new RecipeStages(ComponentRegistry.BuiltIns, progress));
        _ws.NewHost().Run(RecipeSource.FromFile(Path.Combine(RepositoryPaths.Root, "recipes", "train-lora.csx")), globals);
        Assert.Contains(progress.Events.OfType<RecipeProgressEvent.Logged>(), e => e.Message.Contains("from step 2"));
        using (var file = Pipeline.Checkpoints.SafeTensorsFile.Open(lora)) Assert.Equal("3", file.Metadata["ss_steps"]);
    }

    [Fact]
    public void The_inpaint_recipe_repaints_the_found_object_and_keeps_the_rest()
    {
        var result = Run("inpaint.csx", "--checkpoint", _base, "--prompt", "a blue circle", "--from", "a red circle", "--steps", "3", "--seed", "2");
        var path = Path.Combine(_ws.Root, "out", "inpaint-2.png");
        Assert.Equal(path, (string)result.ReturnValue!);
        Assert.Equal("4", PngImage.ReadParameters(path)!.Extra!["Mask blur"]);
        using (var grid = PngImage.Read(Path.Combine(_ws.Root, "out", "inpaint-grid-2.png"))) Assert.True(grid.shape[2] >= 3 * 64, "three 64 px columns");
        // A given all-black mask keeps the given image exactly.
        var image = Path.Combine(_ws.Root, "in.png");
        var mask = Path.Combine(_ws.Root, "black.png");
        using (var t = TorchSharp.torch.rand(3, 64, 64)) PngImage.WriteAtomically(image, PngImage.Encode(t));
        using (var t = TorchSharp.torch.zeros(3, 64, 64)) PngImage.WriteAtomically(mask, PngImage.Encode(t));
        Run("inpaint.csx", "--checkpoint", _base, "--prompt", "a blue circle", "--image", image, "--mask", mask, "--steps", "3", "--seed", "5");
        using var input = PngImage.Read(image);
        using var output = PngImage.Read(Path.Combine(_ws.Root, "out", "inpaint-5.png"));
        Assert.True(input.eq(output).all().item<bool>());
    }

    [Fact]
    public void The_outpaint_and_hires_recipes_write_larger_images()
    {
        Run("outpaint.csx", "--checkpoint", _base, "--prompt", "a red circle", "--pad", "8,16,0,8", "--steps", "3", "--seed", "4");
        Assert.Equal((64 + 24, 64 + 8), ImageHeader.Size(Path.Combine(_ws.Root, "out", "outpaint-4.png")));
        Run("hires.csx", "--checkpoint", _base, "--prompt", "a red circle", "--width", "24", "--height", "32", "--steps", "3", "--seed", "6");
        Assert.Equal((24, 32), ImageHeader.Size(Path.Combine(_ws.Root, "out", "hires-first-6.png")));
        var hires = Path.Combine(_ws.Root, "out", "hires-6.png");
        Assert.Equal((48, 64), ImageHeader.Size(hires));
        Assert.Equal("Latent", PngImage.ReadParameters(hires)!.Extra!["Hires upscaler"]);
    }

    [Fact]
    public void The_stages_recipe_reuses_one_conditioning_for_several_seeds_and_txt2img_prints_its_plan()
    {
        var result = Run("stages.csx", "--prompt", "a red circle", "--checkpoint", _base, "--width", "32", "--height", "32", "--steps", "2",
            "--seeds", "3,4,5");
        var path = Path.Combine(_ws.Root, "out", "stages.png");
        Assert.Equal(path, (string)result.ReturnValue!);
        using (var grid = PngImage.Read(path)) Assert.True(grid.shape[2] >= 3 * 32, "three 32 px columns");

        var progress = new RecordingRecipeProgress();
        var globals = new RecipeGlobals(RecipeArgs.Parse(new[] { "--prompt", "a red circle", "--checkpoint", _base, "--width", "32", "--height", "32", "--steps", "2" }),
            ComponentRegistry.BuiltIns, progress, new RecipeOutput(Path.Combine(_ws.Root, "out")), default, new RecipeStages(ComponentRegistry.BuiltIns, progress));
        _ws.NewHost().Run(RecipeSource.FromFile(Path.Combine(RepositoryPaths.Root, "recipes", "txt2img.csx")), globals);
        var log = string.Join("\n", progress.Events.OfType<RecipeProgressEvent.Logged>().Select(e => e.Message));
        Assert.Contains("GenerationPlan", log);
        Assert.Contains("euler_ancestral: EulerAncestralSampler(Eta=1, SNoise=1", log);   // the tiny model's default sampler
    }

    [Fact]
    public void A_recipe_naming_an_unknown_sampler_fails_before_sampling_with_the_valid_names()
    {
        var ex = Assert.Throws<RecipeRuntimeException>(() =>
            Run("compare-samplers.csx", "--checkpoint", _base, "--width", "32", "--height", "32", "--samplers", "eulr"));
        Assert.Contains("unknown sampler 'eulr'; valid:", ex.Message);
        Assert.Contains("compare-samplers.csx:", ex.Message);
    }
}
