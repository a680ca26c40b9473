// sdxl run recipes/stages.csx --prompt "a red circle on a blue background" [--seeds 0,1,2,3] [--checkpoint FILE]
//   [--negative TEXT] [--steps N] [--cfg X] [--sampler NAME] [--schedule NAME] [--width PX] [--height PX]
// The stages one by one: Tokenize and Condition once, then Noise → Denoise → Decode for every seed, reusing the
// conditioning. Gives the same images as running the plan once per seed. Writes a labelled grid stages.png.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
var size = new ImageSize(Args.Get("height", d.Size.Height), Args.Get("width", d.Size.Width));
var seeds = Args.Get("seeds", "0,1,2,3").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var sigmas = Registry.Schedule(Args.Get("schedule", d.Schedule), Args.Get("steps", d.Steps));
var sampler = Registry.Sampler(Args.Get("sampler", d.Sampler));
var guider = CfgScale.Guider(Args.Get("cfg", d.CfgScale));

// Tokenize → Condition, once.
var rows = PromptRow.For(Args.Require<string>("prompt"), size, Args.Get("negative", ""));
var tokens = PromptTokenizer.Run(rows);
if (tokens.PromptTokensDropped > 0) Progress.Log($"the prompt is longer than 75 tokens: {tokens.PromptTokensDropped} dropped");
var conditioning = ConditionStage.Run(model.Conditioner, tokens, rows);

// Noise → Denoise → Decode, per seed.
var images = new List<Tensor>();
foreach (var seed in seeds)
{
    using var noise = new SeededNoise(seed);
    using var x = NoiseStage.Initial(noise, model.Config.LatentShape(1, size.Height, size.Width), sigmas, model.Device);
    using var latent = DenoiseStage.Run(model, x, sigmas, conditioning, sampler, guider, noise, Stages.Sampling($"seed {seed}", sigmas.Steps));
    using var image = DecodeStage.Run(model.FirstStage, latent);
    images.Add(image[0].clone());
}
var grid = Stages.Grid(images, images.Count, columnLabels: seeds.Select(s => $"seed {s}").ToList());
var written = Stages.SavePng(Output, "stages.png", grid);
// Top-level `using var` is not available in C# scripts: dispose explicitly.
foreach (var disposable in images.Cast<IDisposable>().Concat(new IDisposable[] { grid, conditioning, model })) disposable.Dispose();
written
