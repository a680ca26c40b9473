using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// A tiny latent decoder with the architecture of madebyollin's TAESD/TAESDXL decoder, so its released
/// <c>taesdxl_decoder.safetensors</c> loads by name: a soft clamp tanh(x/3)·3, a 3×3 conv to <see cref="Channels"/>,
/// three stages of (3 residual blocks, ×2 nearest upsampling, a bias-free 3×3 conv), one more block and a 3×3 conv to
/// RGB. A block is conv–ReLU–conv–ReLU–conv plus the input, then ReLU. State names are the Sequential indices
/// (<c>1.weight</c>, <c>3.conv.0.weight</c>, …, <c>19.bias</c>). It takes the model's scaled latents (what samplers
/// produce) and returns images in [0, 1] (not clamped). 64 channels is the released layout; a narrower one can be trained
/// for a tiny model.
/// </summary>
public sealed class TaesdDecoder : nn.Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<nn.Module<Tensor, Tensor>> _layers;

    public int Channels { get; }
    public int LatentChannels { get; }

    public TaesdDecoder(int latentChannels = 4, int channels = 64, Device? device = null, ScalarType? dtype = null) : base(nameof(TaesdDecoder))
    {
        if (latentChannels < 1 || channels < 1) throw new ArgumentException($"TAESD decoder widths must be positive (latent {latentChannels}, channels {channels})");
        LatentChannels = latentChannels;
        Channels = channels;
        Conv2d Conv(int i, int o, bool bias = true) => nn.Conv2d(i, o, 3, padding: 1, bias: bias, device: device, dtype: dtype);
        var modules = new List<nn.Module<Tensor, Tensor>> { new SoftClamp(), Conv(latentChannels, channels), nn.ReLU() };
        for (int stage = 0; stage < 3; stage++)
        {
            for (int b = 0; b < 3; b++) modules.Add(new TaesdBlock(channels, device, dtype));
            modules.Add(nn.Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest));
            modules.Add(Conv(channels, channels, bias: false));
        }
        modules.Add(new TaesdBlock(channels, device, dtype));
        modules.Add(Conv(channels, 3));
        // Registered by index, as the released Sequential: state names are "1.weight", "3.conv.0.weight", …
        for (int i = 0; i < modules.Count; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), modules[i]);
        _layers = modules;
    }

    /// <summary>Images [B, 3, 8h, 8w] (≈ [0, 1]) of scaled latents [B, C, h, w].</summary>
    public override Tensor forward(Tensor latents)
    {
        if (latents.dim() != 4 || latents.shape[1] != LatentChannels)
            throw new ArgumentException($"the TAESD decoder takes latents [B, {LatentChannels}, h, w]; got [{string.Join(", ", latents.shape)}]");
        using var scope = NewDisposeScope();
        var x = latents;
        foreach (var layer in _layers) x = Convolutions.Call(layer, x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a decoder file in the released layout (<c>taesdxl_decoder.safetensors</c>, or one trained here): the widths
    /// are read from <c>1.weight</c>, every tensor must match (strict), weights are read into float32.
    /// </summary>
    public static TaesdDecoder Load(string path, Device? device = null)
    {
        using var file = Checkpoints.SafeTensorsFile.Open(path);
        if (!file.Entries.TryGetValue("1.weight", out var first) || first.Shape.Length != 4)
            throw new Checkpoints.SafeTensorsFormatException($"{path}: not a TAESD decoder (no 4-d '1.weight')");
        var decoder = new TaesdDecoder((int)first.Shape[1], (int)first.Shape[0], device);
        try { Checkpoints.StateDictLoader.Load(decoder, file); }
        catch { decoder.Dispose(); throw; }
        return decoder;
    }

    sealed class SoftClamp() : nn.Module<Tensor, Tensor>(nameof(SoftClamp))
    {
        public override Tensor forward(Tensor x) => tanh(x / 3) * 3;
    }
}
