using Microsoft.Extensions.Logging;
using SidecarInjector.Hosting;

namespace SidecarInjector.Tests.Hosting;

public sealed class ConsoleLogTests
{
    [Fact]
    public void Lines_have_the_simple_console_single_line_format()
    {
        var line = ConsoleLog.Format(new DateTime(2026, 11, 24, 21, 36, 1, 230, DateTimeKind.Utc), LogLevel.Information,
            "SidecarInjector.Config", new EventId(42), "config loaded\nfrom the mount", null);
        Assert.Equal("2026-11-24T21:36:01.230Z info: SidecarInjector.Config[42] config loaded from the mount\n", line);
    }

    [Fact]
    public void An_exception_follows_its_line()
    {
        var line = ConsoleLog.Format(DateTime.UnixEpoch, LogLevel.Error, "C", default, "failed", new InvalidOperationException("boom"));
        Assert.StartsWith("1970-01-01T00:00:00.000Z fail: C[0] failed\nSystem.InvalidOperationException: boom", line, StringComparison.Ordinal);
    }

    [Fact]
    public void The_level_and_the_framework_filters_apply()
    {
        var output = new StringWriter();
        using (var factory = ConsoleLog.CreateFactory(LogLevel.Information, output))
        {
            Say(factory.CreateLogger("SidecarInjector"), LogLevel.Debug, "not shown");
            Say(factory.CreateLogger("SidecarInjector"), LogLevel.Information, "shown");
            Say(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel"), LogLevel.Information, "request noise");
            Say(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel"), LogLevel.Warning, "kestrel warning");
            Say(factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics"), LogLevel.Critical, "never");
        }
        var text = output.ToString();
        Assert.Contains("info: SidecarInjector[0] shown", text);
        Assert.Contains("warn: Microsoft.AspNetCore.Server.Kestrel[0] kestrel warning", text);
        Assert.DoesNotContain("not shown", text);
        Assert.DoesNotContain("request noise", text);
        Assert.DoesNotContain("never", text);
    }

    private static void Say(ILogger logger, LogLevel level, string message) =>
        logger.Log(level, default, message, null, (text, _) => text);

    [Fact]
    public void A_json_line_carries_the_messages_fields_as_fields()
    {
        KeyValuePair<string, object?>[] fields =
        [
            new("Namespace", "shop"), new("Port", 9443), new("Ready", true), new("Milliseconds", 1.5),
            new("Msg", "clashes"), new("{OriginalFormat}", "pod {Namespace} …"),
        ];
        var line = ConsoleLog.FormatJson(new DateTime(2026, 11, 24, 21, 36, 1, 230, DateTimeKind.Utc), LogLevel.Warning,
            "SidecarInjector.Webhook", new EventId(7), "pod \"shop\"\nsecond line", fields, new InvalidOperationException("boom"));

        Assert.EndsWith("}\n", line, StringComparison.Ordinal);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var entry = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        Assert.Equal("2026-11-24T21:36:01.230Z", (string?)entry["time"]);
        Assert.Equal("warn", (string?)entry["level"]);
        Assert.Equal("SidecarInjector.Webhook", (string?)entry["logger"]);
        Assert.Equal(7, (int)entry["eventId"]!);
        Assert.Equal("pod \"shop\"\nsecond line", (string?)entry["msg"]);
        Assert.Equal("shop", (string?)entry["namespace"]);
        Assert.Equal(9443, (int)entry["port"]!);
        Assert.True((bool)entry["ready"]!);
        Assert.Equal(1.5, (double)entry["milliseconds"]!);
        Assert.Equal("clashes", (string?)entry["msg_"]);
        Assert.False(entry.ContainsKey("{OriginalFormat}"));
        Assert.StartsWith("System.InvalidOperationException: boom", (string?)entry["exception"], StringComparison.Ordinal);
    }
}
