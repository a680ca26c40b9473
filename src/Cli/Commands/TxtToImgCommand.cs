using System.ComponentModel;
using Pipeline.Cli.Options;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl txt2img "prompt"</c>: text to image with the default model or a released checkpoint.</summary>
public sealed class TxtToImgCommand : Command<TxtToImgCommand.Settings>
{
    public class Settings : GenerationOptions
    {
        [CommandArgument(0, "<prompt>")] [Description("What to draw (the embedded model knows 'a <colour> <circle|square|triangle> on a <colour> background')")] public string Prompt { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        GenerationRunner.Run("txt2img", s, s.Prompt, cancellation, (plan, options) => plan.Run(options));
}

/// <summary>Options shared by the image commands. Everything that can be checked without a model is checked in <see cref="Validate"/>.</summary>
public class GenerationOptions : CommandSettings
{
    [CommandOption("--negative <TEXT>")] [Description("Negative prompt (empty: zeroed text embeddings, as sgm)")] [DefaultValue("")] public string Negative { get; init; } = "";
    [CommandOption("--steps <N>")] [Description("Sampling steps, 1..1000 (default: 25 for the embedded model, 30 for a checkpoint)")] public int? Steps { get; init; }
    [CommandOption("--cfg <SCALE>")] [Description("Classifier-free guidance scale, >= 0; at most 1 means no guidance: the conditional prediction alone, half the UNet work (SDXL-Turbo: 0, few-step LoRAs: 1) (default: 2 for the embedded model, 5 for a checkpoint)")] public double? Cfg { get; init; }
    [CommandOption("--sampler <NAME>")] [Description("See 'sdxl samplers' (default: euler_ancestral for the embedded model, euler otherwise)")] public string? Sampler { get; init; }
    [CommandOption("--guider <NAME>")] [Description("How cond/uncond predictions combine at --cfg: vanilla_cfg, or a registered guider such as guidance_rescale (see 'sdxl samplers --all')")] [DefaultValue("vanilla_cfg")] public string Guider { get; init; } = "vanilla_cfg";
    [CommandOption("--schedule <NAME>")] [Description("A discretization, see 'sdxl samplers'")] [DefaultValue("legacy_ddpm")] public string Schedule { get; init; } = "legacy_ddpm";
    [CommandOption("--seed <N>")] [Description("Noise seed, 0..2^63-1; -1 or none draws a random seed (printed and stored in the PNG)")] [DefaultValue(-1L)] public long? Seed { get; init; }
    [CommandOption("--width <PX>")] [Description("Image width, a multiple of 8 (default: the model's size: 64 embedded, 1024 SDXL)")] public int? Width { get; init; }
    [CommandOption("--height <PX>")] [Description("Image height, a multiple of 8 (default: the model's size: 64 embedded, 1024 SDXL)")] public int? Height { get; init; }
    [CommandOption("--batch <N>")] [Description("Images per run, 1..64 (one seed; image i is row i of its noise)")] [DefaultValue(1)] public int Batch { get; init; } = 1;
    [CommandOption("--original-size <WxH>")] [Description("SDXL micro-conditioning: the original image size (default: the image size)")] public string? OriginalSize { get; init; }
    [CommandOption("--crop <TOP,LEFT>")] [Description("SDXL micro-conditioning: crop coordinates top,left")] [DefaultValue("0,0")] public string? Crop { get; init; }
    [CommandOption("--target-size <WxH>")] [Description("SDXL micro-conditioning: the target size (default: the image size)")] public string? TargetSize { get; init; }
    [CommandOption("--checkpoint <FILE>")] [Description("SDXL base single-file .safetensors (default: the embedded model)")] public string? Checkpoint { get; init; }
    [CommandOption("--preview <FILE>")] [Description("Write a live preview PNG here while sampling (the current denoised estimate through a latent→RGB fit to the model's VAE; image viewers refresh it) (default: none)")] public string? Preview { get; init; }
    [CommandOption("--preview-every <N>")] [Description("With --preview: update it every N sampler steps (and at the last)")] [DefaultValue(5)] public int PreviewEvery { get; init; } = 5;
    [CommandOption("--preview-mode <MODE>")] [Description("linear (latent→RGB factors fitted to the model's VAE: about free, rough colours), sdxl (ComfyUI's published factors for the released SDXL VAE; full-size models only), taesd (the tiny TAESD-layout decoder of --taesd) or vae (the full VAE decode of the estimate: exact, costs a decode)")] [DefaultValue("linear")] public string PreviewMode { get; init; } = "linear";
    [CommandOption("--decoder <NAME>")] [Description("vae (the model's VAE) or taesd (the tiny decoder of --taesd: fast, approximate; recorded in the PNG)")] [DefaultValue("vae")] public string Decoder { get; init; } = "vae";
    [CommandOption("--vae-tile <N>")] [Description("Decode with the VAE in overlapping tiles of N latent pixels (8N image pixels, overlap 16; GroupNorm statistics of the whole image), for large images when memory is short; 0: the whole image at once")] [DefaultValue(0)] public int VaeTile { get; init; }
    [CommandOption("--taesd <FILE>")] [Description("A TAESD-layout decoder .safetensors (e.g. taesdxl_decoder.safetensors) for --decoder taesd and --preview-mode taesd (default: the embedded default's own, with the embedded model)")] public string? Taesd { get; init; }
    [CommandOption("--taesd-encoder <FILE>")] [Description("Encode init images (img2img, inpaint, the lanczos hires pass) with this TAESD-layout encoder .safetensors (e.g. taesdxl_encoder.safetensors) instead of the VAE: fast, approximate; recorded in the PNG (default: the VAE)")] public string? TaesdEncoder { get; init; }
    [CommandOption("--hires <SCALE>")] [Description("Hires fix (A1111): a second pass at SCALE times the size (rounded to multiples of 8) from the enlarged first-pass latent (default: none)")] public double? Hires { get; init; }
    [CommandOption("--hires-steps <N>")] [Description("Schedule length of the hires pass; the --hires-strength share of it runs (default: --steps)")] public int? HiresSteps { get; init; }
    [CommandOption("--hires-strength <X>")] [Description("Denoising strength of the hires pass, more than 0 and at most 1")] [DefaultValue(0.7)] public double HiresStrength { get; init; } = 0.7;
    [CommandOption("--hires-upscaler <NAME>")] [Description("latent | latent-bicubic | latent-nearest-exact (enlarge the first-pass latent) or lanczos (decode, resize the pixels, encode)")] [DefaultValue("latent")] public string HiresUpscaler { get; init; } = "latent";
    [CommandOption("--refiner <FILE>")] [Description("SDXL refiner single-file .safetensors (default: none)")] public string? Refiner { get; init; }
    [CommandOption("--refiner-mode <MODE>")] [Description("handoff | sdedit (needs --refiner)")] [DefaultValue("handoff")] public string RefinerMode { get; init; } = "handoff";
    [CommandOption("--refiner-at <X>")] [Description("handoff: fraction of base steps (default 0.8); sdedit: strength (default 0.3); needs --refiner")] public double? RefinerAt { get; init; }
    [CommandOption("--dtype <TYPE>")] [Description("auto | fp32 | bf16 | fp16 | int8 (UNet and text encoders; the VAE: --vae-dtype). auto: bf16 for full-size models on a CPU with native bf16 (AVX-512 BF16/AMX) or a GPU, fp32 otherwise. int8: auto plus int8 weights for the UNet's Linear layers (fbgemm, CPU; about 1.3x faster than bf16 on an AVX-512 VNNI core, about 2x bf16's error). The PNG records the dtype")] [DefaultValue("auto")] public string DType { get; init; } = "auto";
    [CommandOption("--vae-dtype <TYPE>")] [Description("auto | fp32 | bf16 (the VAE's encode and decode). auto: bf16 where --dtype auto picks bf16 (about 2x faster decodes, 51.8 dB from fp32 on the embedded default), fp32 otherwise; recorded in the PNG when not fp32")] [DefaultValue("auto")] public string VaeDType { get; init; } = "auto";
    [CommandOption("--device <DEVICE>")] [Description("cpu | cuda | cuda:N")] [DefaultValue("cpu")] public string Device { get; init; } = "cpu";
    [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: 1 for small models such as the embedded one, one per core for full-size models; see the README)")] public int? Threads { get; init; }
    [CommandOption("--style <NAME>")] [Description("Prompt language: a1111 ((a), [[a]], (a:1.2), BREAK, comma-aware 75-token chunks, mean-restoring weights), comfy ((a:1.2), embedding:name, weights from the empty prompt) or sgm (literal text, truncated at 75 tokens); see 'sdxl prompt'")] [DefaultValue("a1111")] public string Style { get; init; } = "a1111";
    [CommandOption("--embeddings-dir <DIR>")] [Description("Folder of SDXL textual-inversion embeddings (.safetensors with clip_l and clip_g), named in prompts by file name (a1111) or embedding:name (comfy) (default: none)")] public string? EmbeddingsDir { get; init; }
    [CommandOption("--lora <FILE:STRENGTH>")] [Description("FILE or FILE:STRENGTH: a LoRA/LyCORIS .safetensors (kohya, diffusers/PEFT, LoCon, LoHa, LoKr, full) merged into the base model at STRENGTH (default 1); repeatable (default: none)")] public string[]? Lora { get; init; }
    [CommandOption("--refiner-lora <FILE:STRENGTH>")] [Description("FILE or FILE:STRENGTH: a LoRA/LyCORIS .safetensors made for the refiner, applied for the refiner phase only (needs --refiner); repeatable (default: none)")] public string[]? RefinerLora { get; init; }
    [CommandOption("--lora-apply <HOW>")] [Description("merged (into the weights for the run, restored after; any format, no cost per step) or on-the-fly (forward hooks on the Linear layers of the UNet and text encoders; LoRA only, weights untouched)")] [DefaultValue("merged")] public string LoraApply { get; init; } = "merged";
    [CommandOption("--lora-dir <DIR>")] [Description("Folder where A1111 prompt tags <lora:name:te:unet> find name.safetensors (default: none)")] public string? LoraDir { get; init; }
    [CommandOption("--out <PATH>")] [Description("Output .png (a batch adds -0, -1, ...; default: outputs/<command>-<seed>.png, never replacing a file)")] public string? Out { get; init; }

    /// <summary>Every check that needs no model: ranges, forms, combinations. Runs before anything is loaded.</summary>
    public override ValidationResult Validate()
    {
        var problems = Problems().ToList();
        return problems.Count == 0 ? ValidationResult.Success() : ValidationResult.Error(string.Join("; ", problems));
    }

    protected virtual IEnumerable<string> Problems()
    {
        if (Steps is < 1 or > 1000) yield return $"--steps must be in 1..1000, got {Steps}";
        if (VaeTile != 0 && VaeTile is < 32 or > 512) yield return $"--vae-tile must be 0 (off) or in 32..512 latent pixels, got {VaeTile}";
        if (Cfg is { } cfg && (!double.IsFinite(cfg) || cfg < 0)) yield return $"--cfg must be a finite number >= 0, got {cfg}";
        if (Seed is < -1) yield return $"--seed must be -1 (random) or in 0..2^63-1, got {Seed}";
        if (Width is { } w && (w < 8 || w % 8 != 0)) yield return $"--width must be a positive multiple of 8, got {w}";
        if (Height is { } h && (h < 8 || h % 8 != 0)) yield return $"--height must be a positive multiple of 8, got {h}";
        if (Batch is < 1 or > 64) yield return $"--batch must be in 1..64, got {Batch}";
        if (PreviewEvery < 1) yield return $"--preview-every must be >= 1, got {PreviewEvery}";
        if (Preview is { } pv && !string.Equals(Path.GetExtension(pv), ".png", StringComparison.OrdinalIgnoreCase)) yield return $"--preview '{pv}': previews are PNG files; give a .png name";
        if (Preview is null && (PreviewEvery != 5 || PreviewMode != "linear")) yield return "--preview-every and --preview-mode need --preview <FILE>";
        if (PreviewMode is not ("linear" or "sdxl" or "taesd" or "vae")) yield return $"unknown --preview-mode '{PreviewMode}'; valid: linear, sdxl, taesd, vae";
        if (Decoder is not ("vae" or "taesd")) yield return $"unknown --decoder '{Decoder}'; valid: vae, taesd";
        if (Taesd is { } taesdFile && !File.Exists(taesdFile)) yield return $"--taesd: no such file: {taesdFile}";
        if (TaesdEncoder is { } encoderFile && !File.Exists(encoderFile)) yield return $"--taesd-encoder: no such file: {encoderFile}";
        if (Hires is { } hires && (!double.IsFinite(hires) || hires <= 1 || hires > 4)) yield return $"--hires must be a scale more than 1 and at most 4, got {hires}";
        if (HiresSteps is < 1 or > 1000) yield return $"--hires-steps must be in 1..1000, got {HiresSteps}";
        if (!double.IsFinite(HiresStrength) || HiresStrength <= 0 || HiresStrength > 1) yield return $"--hires-strength must be more than 0 and at most 1, got {HiresStrength}";
        foreach (var p in Try(() => Pipeline.Generation.HiresUpscalers.Parse(HiresUpscaler))) yield return p;
        if (Hires is null && (HiresSteps is not null || HiresStrength != 0.7 || HiresUpscaler != "latent")) yield return "--hires-steps, --hires-strength and --hires-upscaler need --hires <SCALE>";
        if (Hires is not null && Refiner is not null) yield return "--hires and --refiner cannot be combined yet";
        if (OptionParsing.ThreadsProblem(Threads) is { } threads) yield return threads;
        foreach (var p in Try(() => OptionParsing.Size(OriginalSize, "--original-size"))) yield return p;
        foreach (var p in Try(() => OptionParsing.Size(TargetSize, "--target-size"))) yield return p;
        foreach (var p in Try(() => OptionParsing.Crop(Crop))) yield return p;
        foreach (var p in Try(() => OptionParsing.CheckDType(DType))) yield return p;
        if (VaeDType is not ("auto" or "fp32" or "bf16")) yield return $"unknown --vae-dtype '{VaeDType}'; valid: auto, fp32, bf16";
        foreach (var p in Try(() => ParseRefinerMode(RefinerMode))) yield return p;
        foreach (var p in Try(() => Tokenize.Prompts.PromptStyles.Parse(Style))) yield return p;
        if (EmbeddingsDir is { } e && !Directory.Exists(e)) yield return $"--embeddings-dir: no such folder: {e}";
        if (LoraApply is not ("merged" or "on-the-fly")) yield return $"unknown --lora-apply '{LoraApply}'; valid: merged, on-the-fly";
        if (LoraDir is { } ld && !Directory.Exists(ld)) yield return $"--lora-dir: no such folder: {ld}";
        foreach (var (option, values) in new[] { ("--lora", Lora), ("--refiner-lora", RefinerLora) })
            foreach (var lora in values ?? Array.Empty<string>())
            {
                string? problem = null;
                try
                {
                    var (path, _) = Commands.AdapterOptions.ParseLora(lora, option);
                    if (!File.Exists(path)) problem = $"{option}: no such file: {path}";
                }
                catch (ArgumentException ex) { problem = ex.Message; }
                if (problem is not null) yield return problem;
            }
        if (Refiner is null && RefinerLora is { Length: > 0 }) yield return "--refiner-lora needs --refiner <FILE>";
        if (Refiner is null && (RefinerAt is not null || !string.Equals(RefinerMode, "handoff", StringComparison.OrdinalIgnoreCase)))
            yield return "--refiner-mode and --refiner-at need --refiner <FILE>";
        if (RefinerAt is { } at && (!double.IsFinite(at) || at <= 0 || at > 1)) yield return $"--refiner-at must be in (0, 1], got {at}";
        if (Out is { } o && !string.Equals(Path.GetExtension(o), ".png", StringComparison.OrdinalIgnoreCase))
            yield return $"--out '{o}': images are written as PNG; give a .png name";
        if (Checkpoint is { } c && !File.Exists(c)) yield return $"--checkpoint: no such file: {c}";
        if (Refiner is { } r && !File.Exists(r)) yield return $"--refiner: no such file: {r}";
    }

    /// <summary>The hires size for a first pass of <paramref name="size"/>: each side × --hires, rounded to a multiple of 8.</summary>
    internal Pipeline.Conditioning.ImageSize? HiresSize(Pipeline.Conditioning.ImageSize size) => Hires is { } scale
        ? new Pipeline.Conditioning.ImageSize((int)Math.Round(size.Height * scale / 8) * 8, (int)Math.Round(size.Width * scale / 8) * 8)
        : null;

    /// <summary>The prompt options of <see cref="Style"/> and <see cref="EmbeddingsDir"/>.</summary>
    internal Stages.PromptOptions PromptOptions() => new(Tokenize.Prompts.PromptStyles.Parse(Style),
        EmbeddingsDir is { } dir ? Tokenize.Embeddings.EmbeddingLibrary.FromDirectory(dir) : Tokenize.Embeddings.EmbeddingLibrary.Empty);

    internal static Stages.RefinerMode ParseRefinerMode(string mode) => mode.ToLowerInvariant() switch
    {
        "handoff" => Stages.RefinerMode.Handoff,
        "sdedit" => Stages.RefinerMode.SDEdit,
        _ => throw new ArgumentException($"unknown --refiner-mode '{mode}'; valid: handoff, sdedit"),
    };

    static IEnumerable<string> Try(Action parse)
    {
        string? problem = null;
        try { parse(); }
        catch (ArgumentException e) { problem = e.Message; }
        if (problem is not null) yield return problem;
    }
}
