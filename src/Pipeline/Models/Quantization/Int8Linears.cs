using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Quantization;

/// <summary>
/// int8 weights for a module's Linear layers (fbgemm: int8 weights with a per-tensor scale, activations quantized on the
/// fly, int32 accumulation, AVX-512 VNNI where the CPU has it). TorchSharp 0.107 wraps no quantized linear op, so the
/// fbgemm ops libtorch exports are called through TorchScript source compiled at run time (<c>torch.jit.compile</c>).
/// Each Linear keeps its module (names, state dict, adapters see it unchanged); while applied, a pre-hook hands the layer
/// an empty batch (so its float computation costs nothing) and the forward hook returns the int8 result of the real
/// input. float32 or bf16 models (the activations of a bf16 one
/// are converted around each layer); <see cref="IDisposable.Dispose"/> restores the float path and frees the packed weights.
/// </summary>
public sealed class Int8Linears : IDisposable
{
    static readonly Lazy<jit.CompilationUnit> Ops = new(() => jit.compile(@"
def quantize(w: Tensor):
    q, col_offsets, scale, zero_point = torch.fbgemm_linear_quantize_weight(w)
    return q, col_offsets, torch.tensor(scale), torch.tensor(zero_point), torch.fbgemm_pack_quantized_matrix(q)

def linear(x: Tensor, q: Tensor, packed: Tensor, col_offsets: Tensor, scale: Tensor, zero_point: Tensor, bias: Tensor) -> Tensor:
    return torch.fbgemm_linear_int8_weight_fp32_activation(x, q, packed, col_offsets, scale.item(), zero_point.item(), bias)
"));

    readonly List<Layer> _layers = new();

    /// <summary>The Linear layers now running in int8.</summary>
    public int Count => _layers.Count;

    Int8Linears() { }

    /// <summary>Quantizes every Linear of <paramref name="root"/> (float32 weights, on the CPU) and routes it through int8.</summary>
    public static Int8Linears Apply(nn.Module root, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var result = new Int8Linears();
        try
        {
            foreach (var (name, module) in root.named_modules())
            {
                if (module is not Linear linear || (include is not null && !include(name))) continue;
                if (linear.weight is not { } w || w.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || w.device.type != DeviceType.CPU)
                    throw new ArgumentException($"int8 linear layers need float32 or bf16 CPU weights; '{name}' is {linear.weight?.dtype} on {linear.weight?.device}");
                result._layers.Add(new Layer(linear));
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
        _layers.Clear();
    }

    sealed class Layer : IDisposable
    {
        readonly Tensor _q, _offsets, _scale, _zeroPoint, _packed, _bias;
        readonly long _in, _out;
        readonly nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor?>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor?>>.HookRemover _pre, _post;
        [ThreadStatic] static Tensor? _input;

        public Layer(Linear linear)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();   // frees the float32 copy of the weight now, not at the next GC
            var w = linear.weight!;
            (_out, _in) = (w.shape[0], w.shape[1]);
            var parts = (System.Runtime.CompilerServices.ITuple)Ops.Value.invoke("quantize", w.detach().to(ScalarType.Float32).contiguous());
            _q = ((Tensor)parts[0]!).DetachFromDisposeScope();
            _offsets = ((Tensor)parts[1]!).DetachFromDisposeScope();
            _scale = ((Tensor)parts[2]!).DetachFromDisposeScope();
            _zeroPoint = ((Tensor)parts[3]!).DetachFromDisposeScope();
            _packed = ((Tensor)parts[4]!).DetachFromDisposeScope();
            _bias = (linear.bias?.detach().to(ScalarType.Float32).clone() ?? zeros(_out)).DetachFromDisposeScope();
            _pre = linear.register_forward_pre_hook((_, x) =>
            {
                _input = x;
                var shape = x.shape.ToArray();
                shape[0] = 0;
                return empty(shape, dtype: x.dtype, device: x.device);
            });
            _post = linear.register_forward_hook((_, _, _) =>
            {
                var x = _input ?? throw new InvalidOperationException("int8 linear: no input recorded");
                _input = null;
                var flat = x.to(ScalarType.Float32).reshape(-1, _in);
                var y = (Tensor)Ops.Value.invoke("linear", flat, _q, _packed, _offsets, _scale, _zeroPoint, _bias);
                var shape = x.shape.ToArray();
                shape[^1] = _out;
                return y.reshape(shape).to(x.dtype);
            });
        }

        public void Dispose()
        {
            _pre.remove();
            _post.remove();
            foreach (var t in new[] { _q, _offsets, _scale, _zeroPoint, _packed, _bias }) t.Dispose();
        }
    }
}
