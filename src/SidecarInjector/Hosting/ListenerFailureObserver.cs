using Microsoft.Extensions.Logging;

namespace SidecarInjector.Hosting;

/// <summary>
/// Reads Kestrel's critical log entries for the one that says a listener's accept loop has ended
/// ("The connection listener failed to accept any new connections"): Kestrel does not restart it,
/// and nothing else reports it, so it is taken from the log and handed to <see cref="Liveness"/>.
/// </summary>
internal sealed class ListenerFailureObserver(Liveness liveness) : ILoggerProvider
{
    private const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(KestrelCategory, StringComparison.Ordinal) ? new Observer(liveness) : NoLog.Instance;

    public void Dispose()
    {
    }

    private sealed class Observer(Liveness liveness) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel == LogLevel.Critical;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel != LogLevel.Critical)
            {
                return;
            }
            var message = formatter(state, exception);
            if (message.Contains("listener", StringComparison.OrdinalIgnoreCase))
            {
                liveness.ListenerFailed(exception is null ? message : message + " (" + exception.GetType().Name + ": " + exception.Message + ")");
            }
        }
    }

    private sealed class NoLog : ILogger
    {
        public static readonly NoLog Instance = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
