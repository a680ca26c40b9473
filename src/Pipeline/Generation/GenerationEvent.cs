namespace Pipeline.Generation;

/// <summary>What <see cref="SdxlGenerator.StreamAsync"/> yields, in order, for each plan of the call.</summary>
public abstract record GenerationEvent(int PlanIndex);

/// <summary>A sampler step finished.</summary>
public sealed record StepEvent(GenerationProgress Progress) : GenerationEvent(Progress.PlanIndex);

/// <summary>A live preview of the first image's current estimate (a PNG at the image's size, latent→RGB).</summary>
public sealed record PreviewEvent(int PlanIndex, int Done, byte[] Png) : GenerationEvent(PlanIndex);

/// <summary>A plan finished; the receiver owns <see cref="Result"/> (dispose it).</summary>
public sealed record ResultEvent(int PlanIndex, GenerationResult Result) : GenerationEvent(PlanIndex);
