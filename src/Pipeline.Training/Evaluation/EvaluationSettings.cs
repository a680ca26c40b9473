namespace Pipeline.Training.Evaluation;

/// <summary>How the tiny model is evaluated (the paper in miniature): samples per row and the shared sampler settings.</summary>
public sealed record EvaluationSettings(int SamplesPerRow = 200, int Steps = 25, double CfgScale = 2.0, string Sampler = "euler",
    string Schedule = "legacy_ddpm", long Seed = 20251126, int BatchSize = 50)
{
    public EvaluationSettings Validate()
    {
        if (SamplesPerRow < 1) throw new ArgumentException($"samples per row must be >= 1, got {SamplesPerRow}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {BatchSize}");
        return this;
    }
}
