using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace SidecarInjector.Hosting;

/// <summary>
/// The logging set-up: one line per entry on standard output, in the format of Microsoft's
/// SimpleConsole single-line mode (<c>2026-11-24T21:36:01.230Z info: Category[EventId] message</c>).
/// Built directly rather than through <c>LoggerFactory.Create</c>, whose dependency-injection and
/// options set-up cost 5–8 ms of a ~20 ms start (measured; perf/ready-time.py). The injector logs
/// little (loads, reloads, refusals), so each line is written and flushed under a lock.
/// </summary>
internal static class ConsoleLog
{
    public static ILoggerFactory CreateFactory(LogLevel minimum, TextWriter output) => new LoggerFactory(
        [new Provider(output)],
        new LoggerFilterOptions
        {
            MinLevel = minimum,
            Rules =
            {
                // Per-request framework logs cost time on the hot path and say nothing new.
                new LoggerFilterRule(null, "Microsoft.AspNetCore", LogLevel.Warning, null),
                // With this logger on at any level, hosting creates an Activity (and a Guid) per request.
                new LoggerFilterRule(null, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None, null),
            },
        });

    /// <summary>One entry as a line (and the exception, if any, on the lines after it).</summary>
    internal static string Format(DateTime utc, LogLevel level, string category, EventId id, string message, Exception? exception)
    {
        var line = new StringBuilder(64 + category.Length + message.Length);
        line.Append(utc.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture)).Append("Z ")
            .Append(LevelName(level)).Append(": ")
            .Append(category).Append('[').Append(id.Id.ToString(CultureInfo.InvariantCulture)).Append("] ")
            .Append(message.ReplaceLineEndings(" "));
        if (exception is not null)
        {
            line.Append('\n').Append(exception);
        }
        return line.Append('\n').ToString();
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class Provider(TextWriter output) : ILoggerProvider
    {
        private readonly Lock _lock = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void Write(string line)
        {
            lock (_lock)
            {
                output.Write(line);
                output.Flush();
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                output.Flush();
            }
        }
    }

    private sealed class Logger(string category, Provider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // The factory applies the level and category filters before calling in.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            provider.Write(Format(DateTime.UtcNow, logLevel, category, eventId, formatter(state, exception), exception));
        }
    }
}
