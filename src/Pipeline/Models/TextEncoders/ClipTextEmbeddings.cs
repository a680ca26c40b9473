using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// transformers <c>CLIPTextEmbeddings</c>: token embedding plus learned position embedding. Keeps the
/// persistent <c>position_ids</c> buffer ([1, 77] int64, arange) that transformers 4.19 — the release sgm pins —
/// saves and the released SDXL base checkpoint carries; forward does not read it.
/// </summary>
public sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly EmbeddingTable token_embedding;
    private readonly EmbeddingTable position_embedding;
    [ComponentName(Name = nameof(position_ids))]
    private Tensor _positionIds;

    public ClipTextEmbeddings(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextEmbeddings))
    {
        token_embedding = new EmbeddingTable(config.VocabSize, config.Width, std: 0.02, device, dtype);
        position_embedding = new EmbeddingTable(config.MaxPositions, config.Width, std: 0.02, device, dtype);
        _positionIds = arange(config.MaxPositions, dtype: ScalarType.Int64, device: device).unsqueeze(0).DetachFromDisposeScope();
        RegisterComponents();
    }

    /// <summary>The <c>position_ids</c> buffer; settable so a loader can materialise a model built on the meta device.</summary>
    public Tensor position_ids
    {
        get => _positionIds;
        set
        {
            if (ReferenceEquals(value, _positionIds)) return;
            _positionIds.Dispose();
            _positionIds = value.DetachFromDisposeScope();
            ConditionallyRegisterBuffer(nameof(position_ids), _positionIds);
        }
    }

    /// <summary>ids [B, L] (L ≤ max positions) → [B, L, width].</summary>
    public override Tensor forward(Tensor ids) => Forward(ids, null);

    /// <summary>ids [B, L] → [B, L, width], with <paramref name="vectors"/> replacing token embeddings where given.</summary>
    public Tensor Forward(Tensor ids, TokenVectors? vectors)
    {
        using var scope = NewDisposeScope();
        var positions = position_embedding.weight.narrow(0, 0, ids.shape[1]);
        var tokens = token_embedding.forward(ids);
        if (vectors is not null) tokens = vectors.Apply(tokens);
        return tokens.Plus(positions).MoveToOuterDisposeScope();
    }
}
