using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Connections;
using SidecarInjector.Metrics;

namespace SidecarInjector.Hosting;

/// <summary>
/// At most N open connections on the webhook port: each idle TLS connection holds ~50 KiB, so
/// without a cap a flood of idle connections fills the pod's 128 MiB. At the cap, a new connection
/// takes the place of the one idle the longest (no review in progress for at least 250 ms,
/// counted as connection_evicted): a client that opens connections and leaves them idle cannot shut
/// the apiserver out, which reconnects when its idle keep-alive connection is closed. Only when
/// every connection is busy is the new one closed at once, before its TLS handshake (counted as
/// connection_limit); the apiserver then applies failurePolicy. The admin port is not capped, so
/// probes keep answering.
/// </summary>
internal sealed class ConnectionCap(int max)
{
    /// <summary>
    /// A connection this new or this recently busy is not evicted: it is probably about to send (the
    /// apiserver sends its review milliseconds after the handshake).
    /// </summary>
    private static readonly TimeSpan MinimumIdle = TimeSpan.FromMilliseconds(250);

    private sealed class Tracked(ConnectionContext connection)
    {
        public ConnectionContext Connection { get; } = connection;
        public int Busy;
        public long LastActive = Stopwatch.GetTimestamp();
    }

    private readonly ConcurrentDictionary<string, Tracked> _open = new(StringComparer.Ordinal);
    private readonly Lock _evictionLock = new();
    private int _count;
    private long _refused;

    /// <summary>Connections closed for the cap so far: the liveness self-check tells "full" from "dead" by it.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        if (Interlocked.Increment(ref _count) > max && !EvictLongestIdle())
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _refused);
            InjectorMetrics.Failure("connection_limit");
            connection.Abort(new ConnectionAbortedException("the webhook's connection limit is reached"));
            return;
        }
        var tracked = new Tracked(connection);
        _open[connection.ConnectionId] = tracked;
        try
        {
            await next(connection);
        }
        finally
        {
            _open.TryRemove(connection.ConnectionId, out _);
            Interlocked.Decrement(ref _count);
        }
    };

    /// <summary>A review begins on this connection: not evictable until it ends.</summary>
    public void RequestStarted(string connectionId)
    {
        if (_open.TryGetValue(connectionId, out var tracked))
        {
            Interlocked.Increment(ref tracked.Busy);
        }
    }

    public void RequestEnded(string connectionId)
    {
        if (_open.TryGetValue(connectionId, out var tracked))
        {
            Volatile.Write(ref tracked.LastActive, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref tracked.Busy);
        }
    }

    /// <summary>Closes the connection idle the longest, if one has been idle long enough.</summary>
    private bool EvictLongestIdle()
    {
        // One eviction at a time: two new connections must not both pick the same victim and both stay.
        lock (_evictionLock)
        {
            Tracked? victim = null;
            long now = Stopwatch.GetTimestamp();
            foreach (var (_, tracked) in _open)
            {
                long lastActive = Volatile.Read(ref tracked.LastActive);
                if (Volatile.Read(ref tracked.Busy) == 0 && Stopwatch.GetElapsedTime(lastActive, now) >= MinimumIdle
                    && (victim is null || lastActive < victim.LastActive))
                {
                    victim = tracked;
                }
            }
            if (victim is null || !_open.TryRemove(victim.Connection.ConnectionId, out _))
            {
                return false;
            }
            InjectorMetrics.Failure("connection_evicted");
            victim.Connection.Abort(new ConnectionAbortedException("closed to make room: the webhook's connection limit is reached and this connection was idle the longest"));
            return true;
        }
    }
}
