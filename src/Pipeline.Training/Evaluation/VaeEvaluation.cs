using System.Globalization;
using Pipeline.Models.Vae;
using Pipeline.Training.World;
using static TorchSharp.torch;

namespace Pipeline.Training.Evaluation;

/// <summary>
/// How well an autoencoder reconstructs the shape world (posterior mean, decoded, clamped): PSNR in dB over [0, 1];
/// sharpness (variance of the Laplacian) of the reconstructions over that of the originals; how often the world
/// detector reads the same colour, background and shape from a reconstruction as from its original (agreement) and how
/// often it reads the labels right from each; how often it finds the object cut by the border in each; the corner speck (mean error of the top-left 4×4 over the other three
/// corners'); on flat images of the palette colours, the mean error and the worst 4×4 patch's (0–255 units: a speck
/// shows as a worst patch far above the mean); the largest decoder activation peak (<see cref="ActivationPeaks"/>) at 16×16 and finer;
/// and the mean outline error (<see cref="ShapeOutline"/>, objects not cut by the border) of the originals, of the
/// reconstructions, and of latents given Gaussian noise of <see cref="VaeEvaluation.OutlineNoise"/> times their standard
/// deviation before decoding (how much a diffusion model's small latent errors move outlines).
/// </summary>
public sealed record VaeReport(int Samples, double Psnr, double SharpnessRatio, double Agreement, double ShapeAgreement,
    double OriginalAccuracy, double ReconstructionAccuracy, double OriginalCutRate, double ReconstructionCutRate, double CornerErrorRatio, double FlatError, double FlatWorstPatch, double MaxPeakRatio, string PeakAt,
    double OriginalOutline = double.NaN, double ReconstructionOutline = double.NaN, double NoisyLatentOutline = double.NaN)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"n {Samples}: PSNR {Psnr:F2} dB, sharpness ×{SharpnessRatio:F3}, detector agreement {Agreement:F3} (shape {ShapeAgreement:F3}), " +
        $"all-three from originals {OriginalAccuracy:F3} / reconstructions {ReconstructionAccuracy:F3}, cut by border {OriginalCutRate:F3} / {ReconstructionCutRate:F3}, top-left corner error ×{CornerErrorRatio:F2} " +
        $"of the other corners', flat palette images: mean error {FlatError:F1}, worst 4×4 patch {FlatWorstPatch:F1} (0–255), decoder peak ratio {MaxPeakRatio:F0} at {PeakAt}, " +
        $"outline error of originals {OriginalOutline:F3} / reconstructions {ReconstructionOutline:F3} / latents with {VaeEvaluation.OutlineNoise:F2}·std noise {NoisyLatentOutline:F3}");
}

public static class VaeEvaluation
{
    /// <summary>The latent noise (times the batch's latent standard deviation) of <see cref="VaeReport.NoisyLatentOutline"/>:
    /// about the error a tiny base's samples carry (the base of 2026-12-04, SDEdit at strength 0.1 from clean 64×64
    /// world images, left outline errors of 0.065; this noise on its VAE's latents, 0.067).</summary>
    public const double OutlineNoise = 0.15;

    /// <summary>Measures <paramref name="vae"/> on batches 0 … <paramref name="batches"/> − 1 of <paramref name="data"/>.</summary>
    public static VaeReport Measure(AutoencoderKL vae, ShapeWorldData data, int batches)
    {
        ArgumentNullException.ThrowIfNull(vae);
        ArgumentNullException.ThrowIfNull(data);
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "at least one batch");
        using var noGrad = no_grad();
        int n = 0, cutOriginal = 0, cutReconstruction = 0, agree = 0, shapeAgree = 0, originalRight = 0, reconstructionRight = 0;
        double squaredError = 0, elements = 0, sharpOriginal = 0, sharpReconstruction = 0, topLeft = 0, otherCorners = 0, maxPeak = 0;
        string peakAt = "-";
        var outlines = new List<double>[] { new(), new(), new() };   // originals, reconstructions, noisy latents
        using var noiseGenerator = new Generator();
        noiseGenerator.manual_seed(20261205);
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            var scenes = data.Scenes(b);
            using var batch = ShapeWorldData.Render(scenes);
            var x = batch.Images;
            using var posterior = vae.Encode(x);
            var mode = posterior.Mode();
            var peaks = new List<(string Name, double Ratio)>();
            Tensor reconstruction;
            using (ActivationPeaks.ObserveGroupNormInputs(vae, (name, a) =>
            {
                using var s = NewDisposeScope();
                peaks.Add((name, ActivationPeaks.PeakRatio(a).max().item<float>()));
            }))
                reconstruction = vae.Decode(mode).to(ScalarType.Float32).clamp(-1, 1);
            foreach (var (name, ratio) in peaks.Where(p => p.Name.StartsWith("decoder", StringComparison.Ordinal)))
                if (ratio > maxPeak) (maxPeak, peakAt) = (ratio, name);
            var noisy01 = (vae.Decode(mode + OutlineNoise * mode.std() * randn(mode.shape, generator: noiseGenerator).to(mode.device)).to(ScalarType.Float32).clamp(-1, 1) + 1) / 2;
            var original01 = (x + 1) / 2;
            var recon01 = (reconstruction + 1) / 2;
            squaredError += (recon01 - original01).square().sum().item<float>();
            elements += x.numel();
            var error = (recon01 - original01).abs().mean(new long[] { 1 });   // [B, H, W]
            long h = x.shape[2], w = x.shape[3];
            double Corner(long r, long c) => error[.., TensorIndex.Slice(r, r + 4), TensorIndex.Slice(c, c + 4)].mean().item<float>();
            topLeft += Corner(0, 0);
            otherCorners += (Corner(0, w - 4) + Corner(h - 4, 0) + Corner(h - 4, w - 4)) / 3;
            for (int i = 0; i < scenes.Count; i++)
            {
                var labels = scenes[i].Labels;
                var fromOriginal = WorldDetector.Detect(original01[i]);
                var fromReconstruction = WorldDetector.Detect(recon01[i]);
                sharpOriginal += Sharpness.VarianceOfLaplacian(original01[i]);
                sharpReconstruction += Sharpness.VarianceOfLaplacian(recon01[i]);
                bool same = fromOriginal.Color == fromReconstruction.Color && fromOriginal.Background == fromReconstruction.Background
                    && fromOriginal.Shape == fromReconstruction.Shape;
                agree += same ? 1 : 0;
                shapeAgree += fromOriginal.Shape == fromReconstruction.Shape ? 1 : 0;
                originalRight += fromOriginal.Matches(labels) ? 1 : 0;
                reconstructionRight += fromReconstruction.Matches(labels) ? 1 : 0;
                cutOriginal += fromOriginal.CutByBorder ? 1 : 0;
                cutReconstruction += fromReconstruction.CutByBorder ? 1 : 0;
                if (!fromOriginal.CutByBorder)
                    foreach (var (list, d) in new[] { (outlines[0], fromOriginal), (outlines[1], fromReconstruction), (outlines[2], WorldDetector.Detect(noisy01[i])) })
                        if (!d.CutByBorder && !double.IsNaN(d.Outline)) list.Add(d.Outline);
                n++;
            }
        }
        var (flatError, flatWorst) = FlatImages(vae);
        double mse = squaredError / elements;
        return new VaeReport(n, 10 * Math.Log10(1 / mse), sharpReconstruction / sharpOriginal, agree / (double)n, shapeAgree / (double)n,
            originalRight / (double)n, reconstructionRight / (double)n, cutOriginal / (double)n, cutReconstruction / (double)n, topLeft / Math.Max(otherCorners, 1e-12), flatError, flatWorst, maxPeak, peakAt,
            Mean(outlines[0]), Mean(outlines[1]), Mean(outlines[2]));
    }

    static double Mean(List<double> values) => values.Count == 0 ? double.NaN : values.Average();

    /// <summary>Mean and worst-4×4-patch absolute error (0–255) of 64×64 flat images of every palette colour, averaged over the colours.</summary>
    public static (double MeanError, double WorstPatch) FlatImages(AutoencoderKL vae)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var colours = ShapeWorld.Colors;
        var x = stack(colours.Select(c => tensor(new[] { c.R / 127.5f - 1, c.G / 127.5f - 1, c.B / 127.5f - 1 })
            .reshape(3, 1, 1).expand(3, 64, 64)).ToList());
        using var posterior = vae.Encode(x);
        var error = (vae.Decode(posterior.Mode()).to(ScalarType.Float32).clamp(-1, 1) - x).abs().mean(new long[] { 1 }, keepdim: true) * 127.5;
        var patches = nn.functional.avg_pool2d(error, 4, 1);   // every 4×4 window
        return (error.mean().item<float>(), patches.flatten(1).amax(new long[] { 1 }).mean().item<float>());
    }
}
