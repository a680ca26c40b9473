namespace Pipeline.Adapters;

/// <summary>
/// One mapped module of an adapter: its name in the file (the keys' common prefix, e.g.
/// <c>lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q</c>), the parameter (or slice) it changes and how its
/// delta is computed. A LyCORIS full module with a bias difference gives two: one for the weight, one for the bias.
/// </summary>
public sealed record AdapterModule(string Name, AdapterTarget Target, AdapterDelta Delta)
{
    public override string ToString() => $"{Name} ({Delta.Family}) → {Target}";
}
