using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Pipeline.Diffusion.Sampling;
using Pipeline.Imaging;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// The asynchronous face of the one executor: <see cref="GenerateAsync"/> runs a plan off the caller's thread with
/// progress and cancellation; <see cref="StreamAsync"/> runs several and yields step progress, previews and results as
/// they happen.
/// <para>Thread-safety: a generator runs one plan at a time — concurrent calls wait their turn, in order — because a model
/// is not safe to run from two threads at once and two CPU runs only slow each other. Share one generator per model (e.g.
/// a DI singleton); for parallel runs on a GPU, use one model and generator per worker (a pool).</para>
/// </summary>
public sealed class SdxlGenerator : IDisposable
{
    readonly SemaphoreSlim _turn = new(1, 1);
    readonly Dictionary<Models.Bundles.SdxlModel, LatentPreview> _previews = new(ReferenceEqualityComparer.Instance);
    bool _disposed;

    /// <summary>Runs <paramref name="plan"/> (validated first: problems throw <see cref="ArgumentException"/> before any work).</summary>
    public async Task<GenerationResult> GenerateAsync(GenerationPlan plan, IProgress<GenerationProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        await _turn.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await Task.Factory.StartNew(() => Run(plan, 0, progress is null ? null : progress.Report, null, 0, cancellation),
                cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally { _turn.Release(); }
    }

    /// <summary>
    /// Runs <paramref name="plans"/> one after another and yields, for each, its steps, a preview every
    /// <paramref name="previewEvery"/> steps (0: none) and its result. Stopping the enumeration or cancelling stops the run
    /// at its next step; results not yet taken are disposed.
    /// </summary>
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(IReadOnlyList<GenerationPlan> plans, int previewEvery = 0,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(plans);
        if (previewEvery < 0) throw new ArgumentOutOfRangeException(nameof(previewEvery), previewEvery, "previews every N steps: N >= 0");
        foreach (var p in plans) p.Validate();
        var channel = Channel.CreateBounded<GenerationEvent>(new BoundedChannelOptions(64) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        await _turn.WaitAsync(cancellation).ConfigureAwait(false);
        Task producer;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            producer = Task.Factory.StartNew(() =>
            {
                try
                {
                    for (int i = 0; i < plans.Count; i++)
                    {
                        int index = i;
                        var result = Run(plans[i], i, p => Write(new StepEvent(p)), png => Write(new PreviewEvent(index, png.Done, png.Png)), previewEvery, stop.Token);
                        if (!channel.Writer.TryWrite(new ResultEvent(i, result)) && !WriteBlocking(new ResultEvent(i, result))) result.Dispose();
                    }
                    channel.Writer.TryComplete();
                }
                catch (Exception e) { channel.Writer.TryComplete(e); }
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch
        {
            _turn.Release();
            throw;
        }

        void Write(GenerationEvent e) => WriteBlocking(e);
        bool WriteBlocking(GenerationEvent e)
        {
            try { channel.Writer.WriteAsync(e, stop.Token).AsTask().GetAwaiter().GetResult(); return true; }
            catch (OperationCanceledException) { return false; }
            catch (ChannelClosedException) { return false; }
        }

        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
                yield return e;
        }
        finally
        {
            stop.Cancel();
            try { await producer.ConfigureAwait(false); } catch (OperationCanceledException) { }
            while (channel.Reader.TryRead(out var left))
                if (left is ResultEvent r) r.Result.Dispose();
            _turn.Release();
        }
    }

    GenerationResult Run(GenerationPlan plan, int index, Action<GenerationProgress>? progress, Action<(int Done, byte[] Png)>? preview, int previewEvery,
        CancellationToken cancellation)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int total = plan.TotalSteps, done = 0;
        var fit = preview is null || previewEvery == 0 ? null : PreviewFor(plan.Model);
        int factor = plan.Model.Config.Vae.DownscaleFactor;
        return PlanExecutor.Run(plan, phase => new SamplingOptions(step =>
        {
            done++;
            progress?.Invoke(new GenerationProgress(index, phase, step.Index + 1, step.Count, done, total, step.Sigma, clock.Elapsed));
            if (fit is not null && (done % previewEvery == 0 || done == total))
            {
                using var scope = NewDisposeScope();
                var rgb = nn.functional.interpolate(fit.Apply(step.Denoised[..1]), scale_factor: new double[] { factor, factor }, mode: InterpolationMode.Nearest)[0];
                preview!((done, PngImage.Encode(rgb)));
            }
        }, cancellation));
    }

    LatentPreview PreviewFor(Models.Bundles.SdxlModel model)
    {
        lock (_previews)
        {
            if (!_previews.TryGetValue(model, out var p))
                _previews[model] = p = LatentPreview.IsSdxlLatentSpace(model.Config.Vae) ? LatentPreview.Sdxl : LatentPreview.Fit(model.FirstStage);
            return p;
        }
    }

    /// <summary>Waits for the running plan (if any) and refuses new ones.</summary>
    public void Dispose()
    {
        _turn.Wait();
        _disposed = true;
        _turn.Release();
    }
}
