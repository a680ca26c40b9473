namespace Pipeline.Training;

/// <summary>
/// Epochs over a finite slice of a data stream: batch <c>i</c> is the source's batch <c>i mod Period</c>,
/// so a run of <c>Steps</c> steps sees <see cref="Period"/> distinct batches, each <c>Steps / Period</c> times — a
/// dataset of that many batches, visited in the same order every epoch. Deterministic and resumable as its source.
/// With <see cref="DiffusionTrainingSettings.LatentCacheSize"/> covering <c>Period × batch</c> images, every epoch
/// after the first skips the VAE encoder.
/// </summary>
public sealed class RepeatingData : ITrainingData
{
    readonly ITrainingData _source;

    public RepeatingData(ITrainingData source, long period)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        if (period < 1) throw new ArgumentOutOfRangeException(nameof(period), period, "the period is the number of distinct batches and must be >= 1");
        Period = period;
    }

    /// <summary>Distinct batches before the stream repeats.</summary>
    public long Period { get; }

    public TrainingBatch Batch(long index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "batch indices start at 0");
        return _source.Batch(index % Period);
    }
}
