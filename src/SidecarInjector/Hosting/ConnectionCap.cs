using Microsoft.AspNetCore.Connections;
using SidecarInjector.Metrics;

namespace SidecarInjector.Hosting;

/// <summary>
/// At most N open connections on the webhook port: each idle TLS connection holds ~50 KiB, so
/// without a cap a flood of idle connections fills the pod's 128 MiB. A connection over the cap is
/// closed at once, before its TLS handshake, and counted (reason connection_limit); the apiserver
/// retries or applies failurePolicy. The admin port is not capped, so probes keep answering.
/// </summary>
internal static class ConnectionCap
{
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(int max)
    {
        int open = 0;
        return next => async connection =>
        {
            if (Interlocked.Increment(ref open) > max)
            {
                Interlocked.Decrement(ref open);
                InjectorMetrics.Failure("connection_limit");
                connection.Abort(new ConnectionAbortedException("the webhook's connection limit is reached"));
                return;
            }
            try
            {
                await next(connection);
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }
        };
    }
}
