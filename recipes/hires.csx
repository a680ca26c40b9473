// sdxl run recipes/hires.csx --prompt "a red triangle on a white background" [--width 48 --height 48] [--scale 2]
//   [--hires-steps N] [--strength 0.5] [--upscaler latent|latent-bicubic|latent-nearest-exact] [--checkpoint FILE]
//   [--steps N] [--cfg X] [--sampler NAME] [--seed 0]
// A1111's hires fix as one plan: the first pass at the given size, its latent enlarged by --scale, img2img'd at the
// larger size. Writes the first pass alone (hires-first-<seed>.png) and the plan's result (hires-<seed>.png).

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
long seed = Args.Get("seed", 0L);
var size = new ImageSize(Args.Get("height", d.Size.Height), Args.Get("width", d.Size.Width));
double scale = Args.Get("scale", 2.0);
var large = new ImageSize((int)Math.Round(size.Height * scale / 8) * 8, (int)Math.Round(size.Width * scale / 8) * 8);
var first = Registry.TextToImage(model, Args.Require<string>("prompt"), size, Args.Get("sampler", d.Sampler), Args.Get("schedule", d.Schedule),
    Args.Get("steps", d.Steps), Args.Get("cfg", d.CfgScale), seed, Args.Get("negative", ""));
var plan = first.WithHires(new HiresStep(large, HiresUpscalers.Parse(Args.Get("upscaler", "latent")),
    Registry.Schedule(Args.Get("schedule", d.Schedule), Args.Get("hires-steps", Args.Get("steps", d.Steps))), Args.Get("strength", 0.5)));
Progress.Log(plan.Describe());
using (var alone = Stages.Run(first)) Stages.SavePng(Output, $"hires-first-{seed}.png", alone);
var result = Stages.Run(plan);
var written = Stages.SavePng(Output, $"hires-{seed}.png", result);
foreach (var disposable in new IDisposable[] { result, model }) disposable.Dispose();
written
