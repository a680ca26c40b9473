using Pipeline.Diffusion.Sampling;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Cli.Rendering;

/// <summary>
/// <c>--preview FILE --preview-every N [--preview-mode linear|sdxl|taesd|vae]</c>: every N sampler steps (and at a phase's
/// last) the first image's denoised estimate goes through a <see cref="LatentPreview"/> fitted to the model's VAE when the
/// run starts (enlarged to the image size, nearest), a TAESD-layout tiny decoder or the VAE's decoder, and is written atomically to FILE,
/// so an image viewer that watches the file refreshes.
/// </summary>
public sealed class LivePreview
{
    readonly LatentPreview? _preview;
    readonly Pipeline.Models.Vae.TaesdDecoder? _taesd;
    readonly SdxlModel _model;
    readonly string _path;
    readonly int _every;
    readonly int _factor;

    LivePreview(SdxlModel model, LatentPreview? preview, Pipeline.Models.Vae.TaesdDecoder? taesd, string path, int every) =>
        (_model, _preview, _taesd, _path, _every, _factor) = (model, preview, taesd, path, every, model.Config.Vae.DownscaleFactor);

    /// <param name="mode">linear (fitted), sdxl (the published SDXL factors), taesd (needs <paramref name="taesd"/>, not owned) or vae</param>
    public static LivePreview For(SdxlModel model, string path, int every, string mode = "linear", Pipeline.Models.Vae.TaesdDecoder? taesd = null)
    {
        if (mode == "vae" || mode == "taesd")
        {
            if (mode == "taesd" && taesd is null) throw new ArgumentException("a TAESD preview needs a TAESD decoder");
            Console.Error.WriteLine($"preview: the {(mode == "vae" ? "VAE" : "TAESD")} decode of the estimate, written to {path} every {every} steps");
            return new LivePreview(model, null, mode == "taesd" ? taesd : null, path, every);
        }
        if (mode == "sdxl")
        {
            Console.Error.WriteLine($"preview: latent→RGB with the published SDXL factors; writing {path} every {every} steps");
            return new LivePreview(model, LatentPreview.Sdxl, null, path, every);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var preview = LatentPreview.Fit(model.FirstStage);
        Console.Error.WriteLine($"preview: latent→RGB fitted to the VAE in {clock.Elapsed.TotalMilliseconds:F0} ms; writing {path} every {every} steps");
        return new LivePreview(model, preview, null, path, every);
    }

    /// <summary>This preview's step callback, then <paramref name="next"/>.</summary>
    public Action<SamplerStep> Then(Action<SamplerStep>? next) => step =>
    {
        if ((step.Index + 1) % _every == 0 || step.Index + 1 == step.Count) Write(step.Denoised);
        next?.Invoke(step);
    };

    void Write(Tensor denoised)
    {
        using var scope = NewDisposeScope();
        var image = _taesd is not null ? DecodeStage.Run(_model.FirstStage, denoised[..1], new Pipeline.Generation.DecodeOptions { Taesd = _taesd })[0]
            : _preview is null ? DecodeStage.Run(_model.FirstStage, denoised[..1])[0]
            : nn.functional.interpolate(_preview.Apply(denoised[..1]), scale_factor: new double[] { _factor, _factor }, mode: InterpolationMode.Nearest)[0];
        PngImage.WriteAtomically(_path, PngImage.Encode(image));
    }
}
