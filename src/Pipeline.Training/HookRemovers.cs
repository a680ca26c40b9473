namespace Pipeline.Training;

/// <summary>Removes a set of module hooks once, when disposed (LoRA attachments, activation observers).</summary>
internal sealed class HookRemovers(IReadOnlyList<Action> removers) : IDisposable
{
    bool _done;

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        foreach (var remove in removers) remove();
    }
}
