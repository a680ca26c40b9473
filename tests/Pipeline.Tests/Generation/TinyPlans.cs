using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>Small plans on the tiny random-weight models, named as the CLI would name their components.</summary>
static class TinyPlans
{
    public static ComponentRegistry Registry => ComponentRegistry.BuiltIns;
    public static ImageSize Size { get; } = new(40, 32);

    public static GenerationPlan TextToImage(SdxlModel model, string prompt = "a red circle on a blue background", int steps = 4, long seed = 11,
        ImageSize? size = null, double cfg = 2.0, int batch = 1, string negative = "", string sampler = "euler") =>
        Registry.TextToImage(model, prompt, size ?? Size, sampler, "legacy_ddpm", steps, cfg, seed, negative, batch);

    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
