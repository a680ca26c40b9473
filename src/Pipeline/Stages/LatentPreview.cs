using Pipeline.Models.Vae;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// A cheap latent → RGB preview: every latent pixel's colour as an affine function of its channels,
/// rgb = clamp(z · <see cref="Weights"/> + <see cref="Bias"/>, 0, 1), for scaled latents (what samplers see, the VAE
/// latent × its scale factor), one RGB pixel per latent pixel. The factors are fitted to a VAE by least squares
/// (<see cref="Fit"/>), so it works for any model, the embedded default included.
/// </summary>
/// <param name="Weights">[C, 3]</param>
/// <param name="Bias">[3]</param>
public sealed record LatentPreview(float[,] Weights, float[] Bias)
{
    /// <summary>Preview images [B, 3, h, w] in [0, 1] of scaled latents [B, C, h, w].</summary>
    public Tensor Apply(Tensor latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        int c = Weights.GetLength(0);
        if (latents.dim() != 4 || latents.shape[1] != c)
            throw new ArgumentException($"the preview takes latents [B, {c}, h, w]; got [{string.Join(", ", latents.shape)}]");
        using var scope = NewDisposeScope();
        var w = tensor(Weights.Cast<float>().ToArray(), new long[] { c, 3 }).to(latents.device);
        var b = tensor(Bias).to(latents.device);
        var rgb = latents.to(ScalarType.Float32).permute(0, 2, 3, 1).matmul(w) + b;   // [B, h, w, 3]
        return rgb.clamp(0, 1).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The factors ComfyUI publishes for full-size SDXL latents (fitted by its authors on the released SDXL VAE; source in
    /// Stages/Data/README.md), converted from its [-1, 1] output to [0, 1]. Only for the released SDXL VAE's latent space
    /// (<see cref="IsSdxlLatentSpace"/>); fit factors to any other VAE with <see cref="Fit"/>.
    /// </summary>
    public static LatentPreview Sdxl { get; } = ReadPublished("Pipeline.Stages.Data.sdxl-latent-rgb.json");

    /// <summary>Whether <paramref name="config"/> is the released SDXL VAE's (its latent space is where <see cref="Sdxl"/>
    /// applies; a VAE of another shape, the embedded default's included, has its own).</summary>
    public static bool IsSdxlLatentSpace(AutoencoderKLConfig config) => AutoencoderKLConfig.Sdxl.Equals(config);

    static LatentPreview ReadPublished(string resource)
    {
        using var stream = typeof(LatentPreview).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the embedded resource {resource} is missing from the Pipeline assembly");
        using var json = System.Text.Json.JsonDocument.Parse(stream);
        var rows = json.RootElement.GetProperty("weights").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var bias = json.RootElement.GetProperty("bias").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        if (rows.Length == 0 || rows.Any(r => r.Length != 3) || bias.Length != 3)
            throw new InvalidOperationException($"{resource}: expected weights [C][3] and bias [3]");
        // Published for RGB in [-1, 1]; ours is [0, 1]: rgb01 = (z·w + b + 1) / 2.
        var weights = new float[rows.Length, 3];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < 3; j++) weights[i, j] = rows[i][j] / 2;
        return new LatentPreview(weights, bias.Select(b => (b + 1) / 2).ToArray());
    }

    /// <summary>
    /// Fits the factors to <paramref name="vae"/>: <paramref name="count"/> synthetic images (random colours at the four
    /// corners, blended bilinearly, so the whole colour cube is covered) are encoded, decoded, and the decoded images
    /// averaged over each latent cell are regressed on the scaled latents by least squares.
    /// </summary>
    public static LatentPreview Fit(AutoencoderKL vae, int count = 32, int side = 64, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(vae);
        if (count < 2) throw new ArgumentException($"fitting a preview needs at least 2 images, got {count}");
        int f = vae.Config.DownscaleFactor;
        if (side < f || side % f != 0) throw new ArgumentException($"image side {side} must be a multiple of the VAE's factor {f}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = vae.parameters().First().device;
        using var generator = new Generator((ulong)seed, CPU);
        var corners = rand(new long[] { count, 3, 2, 2 }, generator: generator);
        var images = nn.functional.interpolate(corners, new long[] { side, side }, mode: InterpolationMode.Bilinear, align_corners: true).to(device);
        double scale = vae.Config.ScaleFactor;
        var latents = vae.Encode((images * 2 - 1).to(vae.ComputeDType)).Mode().to(ScalarType.Float32) * scale;
        var decoded = ((vae.Decode((latents / scale).to(vae.ComputeDType)).to(ScalarType.Float32) + 1) / 2).clamp(0, 1);
        var target = nn.functional.avg_pool2d(decoded, f, f);                                        // [N, 3, h, w]
        long c = latents.shape[1];
        var x = latents.permute(0, 2, 3, 1).reshape(-1, c).to(ScalarType.Float64);
        var design = cat(new[] { x, ones(x.shape[0], 1, dtype: ScalarType.Float64, device: x.device) }, 1);
        var y = target.permute(0, 2, 3, 1).reshape(-1, 3).to(ScalarType.Float64);
        var solution = linalg.lstsq(design.cpu(), y.cpu()).Solution.to(ScalarType.Float32);   // [C + 1, 3]
        var values = solution.data<float>().ToArray();
        var weights = new float[c, 3];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < 3; j++) weights[i, j] = values[i * 3 + j];
        return new LatentPreview(weights, new[] { values[c * 3], values[c * 3 + 1], values[c * 3 + 2] });
    }
}
