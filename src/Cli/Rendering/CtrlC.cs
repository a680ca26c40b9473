namespace Pipeline.Cli.Rendering;

/// <summary>
/// Ctrl+C for a command's lifetime, the same for every command: the first press asks the work to stop at the next
/// step (the token is cancelled; nothing half-written is kept), a second press ends the process at once (for work
/// that does not poll: a model load, a plugin sampler, a recipe loop).
/// </summary>
public sealed class CtrlC : IDisposable
{
    readonly CancellationTokenSource _stop;
    readonly ConsoleCancelEventHandler _handler;

    public CtrlC(CancellationToken outer = default)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _handler = (_, e) =>
        {
            e.Cancel = !_stop.IsCancellationRequested;
            if (e.Cancel) Console.Error.WriteLine("stopping at the next step (Ctrl+C again to quit now)");
            _stop.Cancel();
        };
        Console.CancelKeyPress += _handler;
    }

    public CancellationToken Token => _stop.Token;

    public bool Requested => _stop.IsCancellationRequested;

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _stop.Dispose();
    }
}
