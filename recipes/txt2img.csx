// sdxl run recipes/txt2img.csx --prompt "a red circle on a blue background" [--checkpoint FILE] [--negative TEXT]
//   [--steps N] [--cfg X] [--sampler NAME] [--schedule NAME] [--seed 0] [--width PX] [--height PX] [--batch 1]
//   [--style a1111|comfy|sgm] [--embeddings-dir DIR]
// Text to image as a plan: builds it (defaults from the loaded model: 64 px, 25 steps, CFG 2, euler_ancestral for the
// embedded default; 1024 px, 30 steps, CFG 5, euler for a full-size checkpoint), prints it, runs it.
// Writes txt2img-<seed>[-i].png into the output folder.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
var size = new ImageSize(Args.Get("height", d.Size.Height), Args.Get("width", d.Size.Width));
var sampler = Args.Get("sampler", d.Sampler);
var schedule = Args.Get("schedule", d.Schedule);

// Names are resolved here, at the recipe's edge; the plan holds the objects.
var plan = new GenerationPlan(model,
    Rows: PromptRow.For(Args.Require<string>("prompt"), size, Args.Get("negative", ""), Args.Get("batch", 1)),
    Size: size,
    Sigmas: Registry.Schedule(schedule, Args.Get("steps", d.Steps)),
    Sampler: Registry.Sampler(sampler),
    Guider: CfgScale.Guider(Args.Get("cfg", d.CfgScale)),
    Seed: Args.Get("seed", 0L))
{
    Names = new ComponentNames(sampler, schedule),
    Prompting = new PromptOptions(PromptStyles.Parse(Args.Get("style", "a1111")),
        Args.Get<string?>("embeddings-dir", null) is { } dir ? EmbeddingLibrary.FromDirectory(dir) : EmbeddingLibrary.Empty),
};
Progress.Log(plan.Describe());

var result = Stages.Run(plan);
var written = new List<string>();
for (int i = 0; i < plan.BatchSize; i++)
    written.Add(Stages.SavePng(Output, plan.BatchSize == 1 ? $"txt2img-{plan.Seed}.png" : $"txt2img-{plan.Seed}-{i}.png", result, i));
// Top-level `using var` is not available in C# scripts: dispose explicitly.
foreach (var disposable in new IDisposable?[] { result, model }) disposable?.Dispose();
string.Join(Environment.NewLine, written)
