using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// Runs a model's 2-D convolutions so that every CPU gets them right: on the CPU, a convolution whose input or output
/// channel count is not a multiple of <see cref="ChannelMultiple"/> — a model's first and last layers (RGB, latent
/// channels, posterior moments; for a strided convolution input counts that are not multiples of 32) — runs on zero-padded channels (input and weights padded with zero channels up to the
/// next multiple, the extra output channels cut off), which gives the same sums. Why: libtorch 2.10's CPU convolutions
/// (oneDNN 3.7.1, <c>jit:avx512_core</c> / <c>jit_bf16:avx512_core_bf16</c>) move such tensors into channel-blocked
/// layouts padded to 16, and on an AMD EPYC (family 26, Zen 5, AVX-512 BF16, a VM that reports no cache topology)
/// their results were wrong: a float32 3×3 convolution from 20 channels off by 69 % of its output range, input
/// gradients of 3×3 convolutions to 3, 4 or 8 channels wrong or NaN, bfloat16 convolutions to 3, 4 or 8 channels off
/// by 15–85 %, input gradients of stride-2 3×3 convolutions from 48 or 80 channels off by 25 % — while every
/// convolution with both counts multiples of 16 (input multiples of 32 when strided) matched a float64 reference within its dtype's
/// rounding, forward and backward (the same kernels are right on other CPUs; pytorch/pytorch#163347 reports wrong bf16
/// convolutions on AMD). The padded layers are a tiny share of a model's work (an SDXL UNet's first and last convs
/// are about 0.01 % of its FLOPs; the SDXL VAE decoder's 128→3 output conv becomes 128→16). Other devices and float64
/// (not run by oneDNN) call the module as usual. The padded route calls the functional convolution, so a module's
/// forward hooks do not see it; <see cref="ObservePadded"/> does (diagnostics such as FLOP counts).
/// </summary>
public static class Convolutions
{
    static readonly AsyncLocal<Action<Conv2d, Tensor>?> Observer = new();

    /// <summary>
    /// Calls <paramref name="observe"/> with each convolution that runs padded and its (unpadded) output, on this async
    /// flow, until disposed — what a forward hook on those modules would see.
    /// </summary>
    public static IDisposable ObservePadded(Action<Conv2d, Tensor> observe)
    {
        ArgumentNullException.ThrowIfNull(observe);
        var previous = Observer.Value;
        Observer.Value = previous is null ? observe : previous + observe;
        return new Restore(previous);
    }

    sealed class Restore(Action<Conv2d, Tensor>? previous) : IDisposable
    {
        public void Dispose() => Observer.Value = previous;
    }

    /// <summary>The channel block of the CPU kernels: counts that are multiples of it run unpadded.</summary>
    public const int ChannelMultiple = 16;

    /// <summary>
    /// The input-channel block a convolution needs on the CPU: <see cref="ChannelMultiple"/>, and twice that for a strided
    /// one (whose input gradient was wrong from 48 or 80 channels, right from 32, 64, 96, 128 or 320).
    /// </summary>
    public static long InputMultiple(long stride) => stride > 1 ? 2 * ChannelMultiple : ChannelMultiple;

    /// <summary>Whether a convolution with these channel counts and stride, in <paramref name="dtype"/> on <paramref name="device"/>, runs on padded channels.</summary>
    public static bool RunsPadded(long inChannels, long outChannels, long stride, ScalarType dtype, DeviceType device) =>
        device == DeviceType.CPU && dtype is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16
        && (inChannels % InputMultiple(stride) != 0 || outChannels % ChannelMultiple != 0);

    static long RoundUp(long channels, long multiple) => (channels + multiple - 1) / multiple * multiple;

    /// <summary><paramref name="conv"/> applied to <paramref name="x"/>, on padded channels where <see cref="RunsPadded"/> says so.</summary>
    public static Tensor Forward(Conv2d conv, Tensor x)
    {
        // The module's own channel counts and stride (stored values: no native call on the common path).
        long cin = conv.in_channels, cout = conv.out_channels, stride = Math.Max(conv.stride[0], conv.stride[^1]);
        if (!RunsPadded(cin, cout, stride, x.dtype, x.device_type)) return conv.call(x);
        var weight = conv.weight!;
        if (conv.groups != 1 || conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null)
            throw new NotSupportedException($"a CPU convolution with {cin}→{cout} channels runs on channels padded to multiples of {ChannelMultiple}, " +
                $"which needs groups 1 and explicit zero padding (got groups {conv.groups}, {conv.padding_mode}, {conv.padding_type?.ToString() ?? "explicit"})");
        using var scope = NewDisposeScope();
        long padIn = RoundUp(cin, InputMultiple(stride)) - cin, padOut = RoundUp(cout, ChannelMultiple) - cout;
        // pad's list runs from the last dim backwards: (kw, kw, kh, kh, in, in, out, out) for weights [out, in, kh, kw].
        var paddedX = padIn > 0 ? nn.functional.pad(x, new long[] { 0, 0, 0, 0, 0, padIn }) : x;
        var paddedW = nn.functional.pad(weight, new long[] { 0, 0, 0, 0, 0, padIn, 0, padOut });
        var paddedB = conv.bias is { } bias ? nn.functional.pad(bias, new long[] { 0, padOut }) : null;
        var y = nn.functional.conv2d(paddedX, paddedW, paddedB, conv.stride, conv.padding, conv.dilation, 1);
        var result = (padOut > 0 ? y[.., ..(int)cout].contiguous() : y).MoveToOuterDisposeScope();
        Observer.Value?.Invoke(conv, result);
        return result;
    }

    /// <summary>Calls <paramref name="layer"/>, through <see cref="Forward"/> when it is a convolution.</summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> layer, Tensor x) => layer is Conv2d conv ? Forward(conv, x) : layer.call(x);

    /// <summary>Runs <paramref name="sequence"/>'s layers in order, its convolutions through <see cref="Forward"/>.</summary>
    public static Tensor Sequence(Sequential sequence, Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var layer in sequence.children())
            h = layer switch
            {
                nn.Module<Tensor, Tensor> plain => Call(plain, h),
                _ => throw new InvalidOperationException($"unexpected layer {layer.GetType().Name} in a sequence"),
            };
        return (ReferenceEquals(h, x) ? h.alias() : h).MoveToOuterDisposeScope();
    }
}
