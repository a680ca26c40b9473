namespace Pipeline.Adapters;

/// <summary>
/// kohya and diffusers name SDXL's second text encoder (OpenCLIP ViT-bigG, open_clip layout in the checkpoint) by the
/// Hugging Face <c>CLIPTextModelWithProjection</c> module tree. This maps those names onto the open_clip parameters:
/// <c>text_model.encoder.layers.N.self_attn.{q,k,v}_proj</c> → rows [0:w], [w:2w], [2w:3w] of
/// <c>transformer.resblocks.N.attn.in_proj_weight</c> (and <c>in_proj_bias</c>), <c>…self_attn.out_proj</c> →
/// <c>attn.out_proj</c>, <c>…mlp.fc1</c>/<c>fc2</c> → <c>mlp.c_fc</c>/<c>c_proj</c>, <c>…layer_norm1</c>/<c>2</c> →
/// <c>ln_1</c>/<c>ln_2</c>, <c>text_model.final_layer_norm</c> → <c>ln_final</c>,
/// <c>text_model.embeddings.token_embedding</c>/<c>position_embedding</c> → <c>token_embedding</c>/<c>positional_embedding</c>,
/// and <c>text_projection</c> (a Linear, weight Pᵀ) → <c>text_projection</c> P, transposed.
/// </summary>
public static class OpenClipHfNames
{
    /// <summary>
    /// The HF-named modules of the open_clip text model whose parameters are <paramref name="shapes"/> (names relative to
    /// the model, e.g. <c>transformer.resblocks.0.attn.in_proj_weight</c>), each with its targets under
    /// <paramref name="prefix"/> (e.g. <c>conditioner.embedders.1.model.</c>).
    /// </summary>
    public static IEnumerable<(string Hf, ModuleTargets Targets)> Modules(string prefix, IReadOnlyDictionary<string, long[]> shapes)
    {
        AdapterTarget? T(string name, RowSlice? rows = null, bool transposed = false) =>
            shapes.TryGetValue(name, out var shape) ? new AdapterTarget(AdapterComponent.TextEncoder2, prefix + name, shape, rows, transposed) : null;

        (string, ModuleTargets)? Module(string hf, string weight, string? bias, RowSlice? rows = null, bool transposed = false) =>
            T(weight, rows, transposed) is { } w ? (hf, new ModuleTargets(w, bias is null ? null : T(bias, rows))) : null;

        var found = new List<(string, ModuleTargets)?>
        {
            Module("text_model.embeddings.token_embedding", "token_embedding.weight", null),
            Module("text_model.embeddings.position_embedding", "positional_embedding", null),
            Module("text_model.final_layer_norm", "ln_final.weight", "ln_final.bias"),
            Module("text_projection", "text_projection", null, transposed: true),
        };
        for (int n = 0; shapes.ContainsKey($"transformer.resblocks.{n}.attn.in_proj_weight"); n++)
        {
            var block = $"transformer.resblocks.{n}.";
            var hf = $"text_model.encoder.layers.{n}.";
            long width = shapes[block + "attn.in_proj_weight"][0] / 3;
            string[] qkv = ["q_proj", "k_proj", "v_proj"];
            for (int i = 0; i < 3; i++)
                found.Add(Module(hf + "self_attn." + qkv[i], block + "attn.in_proj_weight", block + "attn.in_proj_bias", new RowSlice(i * width, width)));
            found.Add(Module(hf + "self_attn.out_proj", block + "attn.out_proj.weight", block + "attn.out_proj.bias"));
            found.Add(Module(hf + "mlp.fc1", block + "mlp.c_fc.weight", block + "mlp.c_fc.bias"));
            found.Add(Module(hf + "mlp.fc2", block + "mlp.c_proj.weight", block + "mlp.c_proj.bias"));
            found.Add(Module(hf + "layer_norm1", block + "ln_1.weight", block + "ln_1.bias"));
            found.Add(Module(hf + "layer_norm2", block + "ln_2.weight", block + "ln_2.bias"));
        }
        return found.Where(m => m is not null).Select(m => m!.Value);
    }
}
