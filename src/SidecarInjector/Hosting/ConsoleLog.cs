using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SidecarInjector.Hosting;

/// <summary>
/// The logging set-up: one line per entry on standard output, in the format of Microsoft's
/// SimpleConsole single-line mode (<c>2026-11-24T21:36:01.230Z info: Category[EventId] message</c>).
/// Built directly rather than through <c>LoggerFactory.Create</c>, whose dependency-injection and
/// options set-up cost 5–8 ms of a ~20 ms start (measured; perf/ready-time.py). The injector logs
/// little (loads, reloads, refusals), so each line is written and flushed under a lock.
/// With <c>--log-format json</c> each entry is one JSON object on one line instead, its message's
/// fields (<c>{Namespace}</c>, <c>{Pod}</c>, …) as fields of their own, as log shippers expect.
/// </summary>
internal static class ConsoleLog
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The keys of a JSON line; a message field of the same name is written with a trailing underscore.</summary>
    private static readonly HashSet<string> ReservedKeys = new(StringComparer.Ordinal) { "time", "level", "logger", "eventId", "msg", "exception" };

    /// <param name="listenerFailures">Also told Kestrel's critical entries, whatever the level set (liveness reads them).</param>
    public static ILoggerFactory CreateFactory(LogLevel minimum, TextWriter output, bool json = false, ListenerFailureObserver? listenerFailures = null)
    {
        ILoggerProvider[] providers = listenerFailures is null ? [new Provider(output, json)] : [new Provider(output, json), listenerFailures];
        return new LoggerFactory(providers, new LoggerFilterOptions
        {
            MinLevel = minimum,
            Rules =
            {
                // Per-request framework logs cost time on the hot path and say nothing new.
                new LoggerFilterRule(null, "Microsoft.AspNetCore", minimum > LogLevel.Warning ? minimum : LogLevel.Warning, null),
                // With this logger on at any level, hosting creates an Activity (and a Guid) per request.
                new LoggerFilterRule(null, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None, null),
                new LoggerFilterRule(typeof(ListenerFailureObserver).FullName, "Microsoft.AspNetCore.Server.Kestrel", LogLevel.Critical, null),
            },
        });
    }

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

    /// <summary>One entry as one JSON object on one line: time, level, logger, eventId, msg, the message's fields, exception.</summary>
    internal static string FormatJson(DateTime utc, LogLevel level, string category, EventId id, string message,
        IReadOnlyList<KeyValuePair<string, object?>>? fields, Exception? exception)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", utc.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("level", JsonLevelName(level));
            json.WriteString("logger", category);
            json.WriteNumber("eventId", id.Id);
            json.WriteString("msg", message);
            foreach (var (key, value) in fields ?? [])
            {
                // The template itself is not a field: the rendered message is already there.
                if (key == "{OriginalFormat}")
                {
                    continue;
                }
                var name = key.Length > 0 ? char.ToLowerInvariant(key[0]) + key[1..] : key;
                WriteField(json, ReservedKeys.Contains(name) ? name + "_" : name, value);
            }
            if (exception is not null)
            {
                json.WriteString("exception", exception.ToString());
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteField(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case string text:
                json.WriteString(name, text);
                break;
            case bool flag:
                json.WriteBoolean(name, flag);
                break;
            case int or long or short or byte or uint or ulong:
                json.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                json.WriteNumber(name, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case DateTime time:
                json.WriteString(name, time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string JsonLevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "critical",
    };

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class Provider(TextWriter output, bool json) : ILoggerProvider
    {
        private readonly Lock _lock = new();

        public bool Json { get; } = json;

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

        /// <summary>
        /// The host logs its start failure (a port in use) with a 30-line stack trace; WebhookServer
        /// reports the same failure as one line and exit code 1, so this entry only buries it.
        /// </summary>
        private bool IsHostStartFailure(EventId eventId) => eventId.Id == 11 && category == "Microsoft.Extensions.Hosting.Internal.Host";

        // The factory applies the level and category filters before calling in.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || IsHostStartFailure(eventId))
            {
                return;
            }
            var message = formatter(state, exception);
            provider.Write(provider.Json
                ? FormatJson(DateTime.UtcNow, logLevel, category, eventId, message, state as IReadOnlyList<KeyValuePair<string, object?>>, exception)
                : Format(DateTime.UtcNow, logLevel, category, eventId, message, exception));
        }
    }
}
