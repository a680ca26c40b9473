using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The patch discriminator of the LDM/SDXL autoencoder recipe (taming-transformers' <c>NLayerDiscriminator</c>, pix2pix's
/// PatchGAN): 4×4 convolutions, the first <c>layers</c> + 1 with stride 2, LeakyReLU 0.2, then a stride-1
/// convolution to one logit per overlapping patch. GroupNorm stands in for the original's BatchNorm so that a batch's
/// statistics never leak between real and reconstructed images. Weights start as taming's <c>weights_init</c>: convolutions
/// N(0, 0.02), norm scales N(1, 0.02), biases 0, drawn from <c>seed</c> (no global generator is touched).
/// </summary>
public sealed class PatchDiscriminator : nn.Module<Tensor, Tensor>
{
    private readonly Sequential main;

    public PatchDiscriminator(int inChannels = 3, int channels = 32, int layers = 2, long seed = 0) : base(nameof(PatchDiscriminator))
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "at least one input channel");
        if (channels < 8 || channels % 8 != 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "a positive multiple of 8 (GroupNorm with 8 groups)");
        if (layers is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(layers), layers, "1..4 downsampling layers");
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", nn.Conv2d(inChannels, channels, 4, stride: 2, padding: 1)),
            ("1", nn.LeakyReLU(0.2)),
        };
        int width = channels;
        for (int i = 1; i <= layers; i++)
        {
            int next = channels * Math.Min(1 << i, 8);
            long stride = i < layers ? 2 : 1;
            modules.Add(($"{modules.Count}", nn.Conv2d(width, next, 4, stride: stride, padding: 1, bias: false)));
            modules.Add(($"{modules.Count}", nn.GroupNorm(8, next)));
            modules.Add(($"{modules.Count}", nn.LeakyReLU(0.2)));
            width = next;
        }
        modules.Add(($"{modules.Count}", nn.Conv2d(width, 1, 4, stride: 1, padding: 1)));
        main = nn.Sequential(modules);
        RegisterComponents();
        Initialize(seed);
    }

    void Initialize(long seed)
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var m in main.children())
        {
            if (m is Conv2d conv)
            {
                conv.weight!.normal_(0, 0.02, generator);
                conv.bias?.zero_();
            }
            else if (m is GroupNorm norm)
            {
                norm.weight!.normal_(1, 0.02, generator);
                norm.bias!.zero_();
            }
        }
    }

    /// <summary>Logits [B, 1, h, w], one per patch of <paramref name="x"/> [B, C, H, W] (H, W ≥ 16 for two layers).</summary>
    public override Tensor forward(Tensor x) => main.call(x);

    /// <summary>The discriminator's hinge loss: mean(relu(1 − D(real))) + mean(relu(1 + D(fake))), halved (taming's <c>hinge_d_loss</c>).</summary>
    public static Tensor HingeLoss(Tensor realLogits, Tensor fakeLogits)
    {
        using var scope = NewDisposeScope();
        return (0.5 * (nn.functional.relu(1 - realLogits).mean() + nn.functional.relu(1 + fakeLogits).mean())).MoveToOuterDisposeScope();
    }
}
