using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>transformers <c>CLIPAttention</c>: separate q/k/v/out projections with bias, causal in the text model.</summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
    private readonly int _heads;

    public ClipAttention(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipAttention))
    {
        _heads = config.Heads;
        q_proj = nn.Linear(config.Width, config.Width, device: device, dtype: dtype);
        k_proj = nn.Linear(config.Width, config.Width, device: device, dtype: dtype);
        v_proj = nn.Linear(config.Width, config.Width, device: device, dtype: dtype);
        out_proj = nn.Linear(config.Width, config.Width, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var attended = CausalSelfAttention.Apply(q_proj.call(x), k_proj.call(x), v_proj.call(x), _heads);
        return out_proj.call(attended).MoveToOuterDisposeScope();
    }
}
