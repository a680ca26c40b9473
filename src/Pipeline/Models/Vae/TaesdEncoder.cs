using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// A tiny image encoder with the architecture of madebyollin's TAESD/TAESDXL encoder, so its released
/// <c>taesdxl_encoder.safetensors</c> loads by name: a 3×3 conv to <see cref="Channels"/>, a residual block, three
/// stages of (a bias-free stride-2 3×3 conv, 3 residual blocks) and a 3×3 conv to the latent channels. State names are
/// the Sequential indices (<c>0.weight</c>, <c>1.conv.0.weight</c>, <c>2.weight</c>, …, <c>14.bias</c>). It takes images
/// in [0, 1] and returns the model's scaled latents (what samplers take; the VAE's posterior mode × its scale factor).
/// </summary>
public sealed class TaesdEncoder : nn.Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<nn.Module<Tensor, Tensor>> _layers;

    public int Channels { get; }
    public int LatentChannels { get; }

    public TaesdEncoder(int latentChannels = 4, int channels = 64, Device? device = null, ScalarType? dtype = null) : base(nameof(TaesdEncoder))
    {
        if (latentChannels < 1 || channels < 1) throw new ArgumentException($"TAESD encoder widths must be positive (latent {latentChannels}, channels {channels})");
        LatentChannels = latentChannels;
        Channels = channels;
        var modules = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Conv2d(3, channels, 3, padding: 1, device: device, dtype: dtype), new TaesdBlock(channels, device, dtype),
        };
        for (int stage = 0; stage < 3; stage++)
        {
            modules.Add(nn.Conv2d(channels, channels, 3, stride: 2, padding: 1, bias: false, device: device, dtype: dtype));
            for (int b = 0; b < 3; b++) modules.Add(new TaesdBlock(channels, device, dtype));
        }
        modules.Add(nn.Conv2d(channels, latentChannels, 3, padding: 1, device: device, dtype: dtype));
        for (int i = 0; i < modules.Count; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), modules[i]);
        _layers = modules;
    }

    /// <summary>Scaled latents [B, C, h/8, w/8] of images [B, 3, h, w] in [0, 1] (sides multiples of 8).</summary>
    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] % 8 != 0 || images.shape[3] % 8 != 0)
            throw new ArgumentException($"the TAESD encoder takes images [B, 3, h, w] with h and w multiples of 8; got [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var x = images;
        foreach (var layer in _layers) x = Convolutions.Call(layer, x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads an encoder file in the released layout (<c>taesdxl_encoder.safetensors</c>, or one trained here): the widths
    /// are read from <c>0.weight</c> and <c>14.weight</c>, every tensor must match (strict), weights are read into float32.
    /// </summary>
    public static TaesdEncoder Load(string path, Device? device = null)
    {
        using var file = Checkpoints.SafeTensorsFile.Open(path);
        if (!file.Entries.TryGetValue("0.weight", out var first) || first.Shape.Length != 4 || first.Shape[1] != 3
            || !file.Entries.TryGetValue("14.weight", out var last) || last.Shape.Length != 4)
            throw new Checkpoints.SafeTensorsFormatException(
                $"{path}: not a TAESD encoder (no '0.weight' [C, 3, 3, 3] and '14.weight'{(file.Entries.ContainsKey("1.weight") ? "; it looks like a TAESD decoder" : "")})");
        var encoder = new TaesdEncoder((int)last.Shape[0], (int)first.Shape[0], device);
        try { Checkpoints.StateDictLoader.Load(encoder, file); }
        catch { encoder.Dispose(); throw; }
        return encoder;
    }
}
