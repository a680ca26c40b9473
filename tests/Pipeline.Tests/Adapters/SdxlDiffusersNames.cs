namespace Pipeline.Tests.Adapters;

/// <summary>
/// diffusers' names for SDXL base UNet modules, written out for this one layout (3 levels, 2 res blocks down and 3 up,
/// attention at levels 1 and 2) from the relations in diffusers' and kohya's SDXL conversion tables, independently of the
/// library's layout-derived mapping: input block n = 3·level + j + 1 (n = 3, 6 are downsamplers), output block n = 3·i + j.
/// </summary>
static class SdxlDiffusersNames
{
    static readonly Dictionary<string, string> Resnet = new()
    {
        ["in_layers.0"] = "norm1", ["in_layers.2"] = "conv1", ["emb_layers.1"] = "time_emb_proj",
        ["out_layers.0"] = "norm2", ["out_layers.3"] = "conv2", ["skip_connection"] = "conv_shortcut",
    };

    /// <summary>The diffusers name of an SDXL base sgm module or parameter path.</summary>
    public static string Of(string sgm)
    {
        var p = sgm.Split('.');
        string Rest(int from) => from < p.Length ? "." + string.Join('.', p[from..]) : "";
        string Res(string block, int from)
        {
            var member = p.Length > from + 1 && Resnet.ContainsKey($"{p[from]}.{p[from + 1]}") ? $"{p[from]}.{p[from + 1]}" : p[from];
            int used = member.Count(c => c == '.') + 1;
            return $"{block}.{Resnet[member]}{Rest(from + used)}";
        }
        switch (p[0])
        {
            case "time_embed": return $"time_embedding.linear_{int.Parse(p[1]) / 2 + 1}{Rest(2)}";
            case "label_emb": return $"add_embedding.linear_{int.Parse(p[2]) / 2 + 1}{Rest(3)}";
            case "out": return (p[1] == "0" ? "conv_norm_out" : "conv_out") + Rest(2);
            case "input_blocks":
            {
                int n = int.Parse(p[1]);
                if (n == 0) return "conv_in" + Rest(3);
                if (n % 3 == 0) return $"down_blocks.{n / 3 - 1}.downsamplers.0.conv{Rest(4)}"; // input_blocks.n.0.op
                int level = (n - 1) / 3, j = (n - 1) % 3;
                return p[2] == "0" ? Res($"down_blocks.{level}.resnets.{j}", 3) : $"down_blocks.{level}.attentions.{j}{Rest(3)}";
            }
            case "middle_block":
                return p[1] switch
                {
                    "0" => Res("mid_block.resnets.0", 2),
                    "1" => "mid_block.attentions.0" + Rest(2),
                    _ => Res("mid_block.resnets.1", 2),
                };
            case "output_blocks":
            {
                int n = int.Parse(p[1]), i = n / 3, j = n % 3;
                return p[2] switch
                {
                    "0" => Res($"up_blocks.{i}.resnets.{j}", 3),
                    "1" => $"up_blocks.{i}.attentions.{j}{Rest(3)}",
                    _ => $"up_blocks.{i}.upsamplers.0.conv{Rest(4)}",  // output_blocks.(3i+2).2.conv
                };
            }
            default: throw new ArgumentException(sgm);
        }
    }
}
