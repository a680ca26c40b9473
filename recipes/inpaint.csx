// sdxl run recipes/inpaint.csx --prompt "a blue circle on a white background"
//   [--image in.png | --from "a red circle on a white background"] [--mask mask.png] [--strength 1] [--mask-blur 4]
//   [--checkpoint FILE] [--steps N] [--cfg X] [--sampler NAME] [--seed 0]
// Inpainting with any model as one plan: the init image (given, or made from --from with the same seed), a mask (given:
// white = repaint; or the object found automatically: pixels far from the border's colour, grown by 4 px), then the
// img2img plan with the mask. Writes inpaint-<seed>.png and inpaint-grid-<seed>.png (image | mask | result).

var model = Stages.LoadModel(Args.Get<string?>("checkpoint", null));
var d = GenerationDefaults.For(model);
long seed = Args.Get("seed", 0L);
Tensor image;
if (Args.Has("image")) image = Stages.ReadImage(Args.Require<string>("image"));
else
{
    using var made = Stages.Run(Registry.TextToImage(model, Args.Get("from", "a red circle on a white background"), d.Size, d.Sampler, d.Schedule,
        d.Steps, d.CfgScale, seed));
    image = made.Images.clone();
}
var size = new ImageSize((int)image.shape[2], (int)image.shape[3]);

Tensor mask;
if (Args.Has("mask")) mask = InpaintMask.FromImage(Stages.ReadImage(Args.Require<string>("mask"))).Mask;
else
{
    // The object: pixels whose colour is far from the mean colour of the border, dilated by 4 pixels.
    using var scope = NewDisposeScope();
    var border = cat(new[] { image[0, .., 0, ..], image[0, .., -1, ..], image[0, .., .., 0], image[0, .., .., -1] }, 1);
    var background = border.mean(new long[] { 1 }).reshape(1, 3, 1, 1);
    var far = ((image - background).abs().sum(new long[] { 1 }, keepdim: true) > 0.3).to(ScalarType.Float32);
    mask = nn.functional.max_pool2d(far, 9, 1, 4).MoveToOuterDisposeScope();
}

var plan = Registry.TextToImage(model, Args.Require<string>("prompt"), size, Args.Get("sampler", d.Sampler), Args.Get("schedule", d.Schedule),
        Args.Get("steps", d.Steps), Args.Get("cfg", d.CfgScale), seed, Args.Get("negative", ""))
    .WithInit(InitInput.FromImage(image, Args.Get("strength", 1.0)).WithMask(new InpaintMask(mask, Args.Get("mask-blur", 4))));
Progress.Log(plan.Describe());
var result = Stages.Run(plan);
var written = Stages.SavePng(Output, $"inpaint-{seed}.png", result);
var grid = Stages.Grid(new[] { image[0], mask[0].expand(3, -1, -1), result.Images[0] }, 3, columnLabels: new[] { "image", "mask", "inpainted" });
Stages.SavePng(Output, $"inpaint-grid-{seed}.png", grid);
foreach (var disposable in new IDisposable[] { grid, result, mask, image, model }) disposable.Dispose();
written
