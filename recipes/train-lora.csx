// sdxl run recipes/train-lora.csx [--concept pink] [--rank 8] [--alpha 8] [--targets all] [--text-encoders]
//   [--steps 300] [--batch 16] [--lr 2e-3] [--seed 20251201] [--checkpoint FILE] [--resume]
//   [--prompt "a pink circle on a white background"] [--strengths 0,0.5,1,1.5]
// Trains a LoRA with the library's API (the same trainer as `sdxl train-lora`): the base model frozen, the LoRA on the
// UNet's transformer Linear layers (and on both text encoders with --text-encoders), data = the shape world where part of
// the images show the new concept. Saves it in kohya's format (lora.safetensors, state in lora.safetensors.state: rerun
// with --resume to continue bit-exactly), then sweeps its strength over one prompt and seed as plans and writes a grid.

var concept = ShapeWorld.ConceptNamed(Args.Get("concept", "pink"));
var seed = Args.Get("seed", 20251201L);
var settings = new LoraTrainingSettings
{
    Rank = Args.Get("rank", 8), Alpha = Args.Get("alpha", 8.0), Targets = LoraTargetRules.Parse(Args.Get("targets", "all")),
    TextEncoders = Args.Get("text-encoders", false), Steps = Args.Get("steps", 300L), LearningRate = Args.Get("lr", 2e-3), Seed = seed,
};
var strengths = Args.Get("strengths", "0,0.5,1,1.5").Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
var data = new ConceptWorldData(new ConceptWorldSettings(ShapeWorldSettings.Base(seed, Args.Get("batch", 16)), concept, ConceptFraction: 0.5));
var loraPath = Output.PathFor("lora.safetensors");

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
using (var trainer = new LoraTrainer(model, data, settings))
{
    if (Args.Has("resume") && File.Exists(loraPath + ".state")) trainer.LoadState(loraPath + ".state");
    Progress.Log($"LoRA rank {settings.Rank}: {trainer.Network.Modules.Count} modules ({trainer.Network.Modules.Count(m => m.Component.IsTextEncoder())} in the text encoders), from step {trainer.Step}");
    try
    {
        trainer.Train(new TrainingCallbacks(OnStep: p => Progress.Report($"loss {p.Loss:F4}", (int)p.Step, (int)p.TotalSteps)), cancel: Cancellation);
    }
    finally
    {
        // Saved even when cancelled, so --resume continues from here.
        trainer.Save(loraPath, ScalarType.Float16);
        trainer.SaveState(loraPath + ".state");
    }
}

// The strength sweep: one plan per strength, the same prompt and seed; the adapter is merged for each run and undone after.
var lora = Adapter.Load(loraPath, model);
Progress.Log(lora.ToString());
var prompt = Args.Get("prompt", $"a {concept.Name} circle on a white background");
var images = new List<Tensor>();
foreach (var strength in strengths)
{
    var defaults = GenerationDefaults.For(model);
    var plan = Registry.TextToImage(model, prompt, defaults.Size, defaults.Sampler, defaults.Schedule, defaults.Steps, defaults.CfgScale, seed: 1)
        .WithAdapters(AdapterUse.Of(lora, strength));
    using var result = Stages.Run(plan);
    images.Add(result.Images[0].clone());
}
var grid = Stages.Grid(images, images.Count, columnLabels: strengths.Select(s => $"strength {s}").ToList());
var gridPath = Stages.SavePng(Output, "lora-strengths.png", grid);
foreach (var disposable in images.Append(grid).Cast<IDisposable>().Append(model)) disposable.Dispose();
$"{loraPath}; strength sweep in {gridPath}"
