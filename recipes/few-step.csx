// sdxl run recipes/few-step.csx --mode lcm|lightning|hyper|turbo --prompt "a lighthouse at dusk" --checkpoint FILE
//   [--lora FILE] [--strength 1] [--steps N] [--cfg X] [--seed 0] [--width PX] [--height PX] [--dtype fp32|bf16]
// Few-step generation: the settings each distilled model was made for, as one plan (LoRA merged for the run).
//   lcm        LCM-LoRA (latent-consistency-model/lcm-lora-sdxl): sampler lcm, schedule sgm_uniform, 4 steps (4–8), CFG 1 (1–2)
//   lightning  SDXL-Lightning 2/4/8-step LoRA (ByteDance): Euler, "trailing" spacing, 4 steps, CFG 1
//   hyper      Hyper-SD SDXL 1/2/4/8-step LoRA (ByteDance): Euler, "trailing" spacing, 8 steps, CFG 1
//   turbo      SDXL-Turbo (a checkpoint, no LoRA): euler_ancestral, "trailing" spacing, 512×512, 1 step (1–4), CFG 0
// CFG ≤ 1 means no guidance: the conditional prediction alone, one UNet evaluation per step instead of two (a batch
// of 2). Prints the plan, the UNet evaluations it makes and the time; writes few-step-<mode>-<seed>.png.

var mode = Args.Get("mode", "lightning");
// (A named tuple, not a deconstruction: Roslyn 5.12 crashes on a top-level deconstruction of a switch expression.)
(string Sampler, string Schedule, int Steps, double Cfg, int Side) settings = mode switch
{
    "lcm" => ("lcm", "sgm_uniform", 4, 1.0, 1024),
    "lightning" => ("euler", "trailing", 4, 1.0, 1024),
    "hyper" => ("euler", "trailing", 8, 1.0, 1024),
    "turbo" => ("euler_ancestral", "trailing", 1, 0.0, 512),
    _ => throw new ArgumentException($"unknown --mode '{mode}'; valid: lcm, lightning, hyper, turbo"),
};
var sampler = settings.Sampler;
var schedule = settings.Schedule;
var side = settings.Side;
var dtype = Args.Get("dtype", "fp32") switch
{
    "fp32" => ScalarType.Float32, "bf16" => ScalarType.BFloat16, "fp16" => ScalarType.Float16,
    var other => throw new ArgumentException($"unknown --dtype '{other}'; valid: fp32, bf16, fp16"),
};
var steps = Args.Get("steps", settings.Steps);
var cfg = Args.Get("cfg", settings.Cfg);
var loraPath = Args.Get<string?>("lora", null);
if (mode == "turbo" && loraPath is not null) Progress.Log("note: SDXL-Turbo is a checkpoint; a LoRA is merged on top of it");
if (mode != "turbo" && loraPath is null) Progress.Log($"note: no --lora given: the base model runs with the {mode} settings (expect a blurry image from a model not distilled for them)");

var clock = System.Diagnostics.Stopwatch.StartNew();
var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null), dtype);
var loaded = clock.Elapsed.TotalSeconds;
// The mode's size on full-size models; a small model (the embedded default) keeps its own.
var own = GenerationDefaults.For(model).Size;
var size = own.Width < 512 ? own : new ImageSize(side, side);
size = new ImageSize(Args.Get("height", size.Height), Args.Get("width", size.Width));
var plan = new GenerationPlan(model, PromptRow.For(Args.Require<string>("prompt"), size), size,
    Registry.Schedule(schedule, steps), Registry.Sampler(sampler), CfgScale.Guider(cfg), Args.Get("seed", 0L))
{
    Names = new ComponentNames(sampler, schedule),
};
if (loraPath is not null)
{
    var adapter = Adapter.Load(loraPath, model);
    Progress.Log($"{adapter}");
    foreach (var warning in adapter.Report.Warnings()) Progress.Log($"warning: {warning}");
    plan = plan.WithAdapters(AdapterUse.Of(adapter, Args.Get("strength", 1.0)));
}
Progress.Log(plan.Describe());
// lcm and the Euler samplers evaluate the UNet once per step; with CFG > 1 each evaluation is a batch of 2.
int evaluations = plan.TotalSteps;
Progress.Log($"UNet evaluations: {evaluations} × batch {(cfg > 1 ? 2 : 1)}");

clock.Restart();
var result = Stages.Run(plan);
var seconds = clock.Elapsed.TotalSeconds;
var written = Stages.SavePng(Output, $"few-step-{mode}-{plan.Seed}.png", result);
Progress.Log($"{mode}: {size.Width}x{size.Height}, {steps} steps, CFG {cfg}: {seconds:F1} s for the image (load {loaded:F1} s)");
foreach (var disposable in new IDisposable[] { result, model }) disposable.Dispose();
written
