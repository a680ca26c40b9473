// sdxl run recipes/outpaint.csx --prompt "a red circle on a white background" [--image in.png | --from "<prompt>"]
//   [--pad 0,32,0,0] [--strength 1] [--mask-blur 4] [--checkpoint FILE] [--steps N] [--cfg X] [--sampler NAME] [--seed 0]
// Outpainting as one plan: the image (given, or made from --from with the same seed) padded by left,right,top,bottom
// pixels, the new border filled from the edges plus a little noise, masked and inpainted. Writes outpaint-<seed>.png.

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
long seed = Args.Get("seed", 0L);
Tensor image;
if (Args.Has("image")) image = Stages.ReadImage(Args.Require<string>("image"));
else
{
    using var made = Stages.Run(Registry.TextToImage(model, Args.Get("from", Args.Require<string>("prompt")), d.Size, d.Sampler, d.Schedule,
        d.Steps, d.CfgScale, seed));
    image = made.Images.clone();
}
var padding = OutpaintPadding.Parse(Args.Get("pad", "0,32,0,0"));
var outpaint = OutpaintStage.Prepare(image, padding, Args.Get("strength", 1.0), Args.Get("mask-blur", 4), seed);
var size = new ImageSize((int)outpaint.Canvas.shape[2], (int)outpaint.Canvas.shape[3]);
var plan = Registry.TextToImage(model, Args.Require<string>("prompt"), size, Args.Get("sampler", d.Sampler), Args.Get("schedule", d.Schedule),
        Args.Get("steps", d.Steps), Args.Get("cfg", d.CfgScale), seed, Args.Get("negative", ""))
    .WithInit(outpaint.Init);
Progress.Log(plan.Describe());
var result = Stages.Run(plan);
var written = Stages.SavePng(Output, $"outpaint-{seed}.png", result);
foreach (var disposable in new IDisposable[] { result, outpaint, image, model }) disposable.Dispose();
written
