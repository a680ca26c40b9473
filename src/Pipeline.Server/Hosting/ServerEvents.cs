using System.Threading.Channels;

namespace Pipeline.Server.Hosting;

/// <summary>One thing that happened, as sent on <c>/v1/events</c> (server-sent events: <c>event: Kind</c>, <c>data: Json</c>).</summary>
public sealed record ServerEvent(string Kind, string Json);

/// <summary>
/// Fan-out of <see cref="ServerEvent"/>s to every subscriber. Each subscriber has a bounded buffer; a slow one loses its
/// oldest events (progress is a stream of states, the latest matters) instead of holding the generator back.
/// </summary>
public sealed class EventHub
{
    readonly object _gate = new();
    readonly List<Channel<ServerEvent>> _subscribers = new();

    public int Subscribers { get { lock (_gate) return _subscribers.Count; } }

    public void Publish(ServerEvent e)
    {
        lock (_gate)
            foreach (var s in _subscribers) s.Writer.TryWrite(e);
    }

    /// <summary>A reader of every event from now until <paramref name="cancel"/> fires.</summary>
    public ChannelReader<ServerEvent> Subscribe(CancellationToken cancel)
    {
        var channel = Channel.CreateBounded<ServerEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate) _subscribers.Add(channel);
        cancel.Register(() =>
        {
            lock (_gate) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }
}
