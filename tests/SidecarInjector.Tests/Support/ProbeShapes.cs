using System.Text.Json.Nodes;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// Probes and hooks in the shapes the probe rewrite must get exactly right, added at random to
/// generated pods by the direct path's differential test: HTTPS, headers with characters Go escapes,
/// hosts, timeouts (zero ones too), named ports that exist or do not, numbers as text, the agent's
/// own port, gRPC services, fields Go's types do not know, hooks of every kind, probes on init containers.
/// </summary>
internal static class ProbeShapes
{
    public static void AddSome(JsonObject pod, Random random)
    {
        var spec = pod["spec"]!.AsObject();
        foreach (var list in (string[])["containers", "initContainers"])
        {
            foreach (var item in spec[list] as JsonArray ?? [])
            {
                if (item is not JsonObject container || container["name"]?.GetValue<string>() is "istio-proxy" or "istio-init" or "istio-validation")
                {
                    continue;
                }
                foreach (var field in (string[])["readinessProbe", "livenessProbe", "startupProbe"])
                {
                    if (random.NextDouble() < 0.3)
                    {
                        container[field] = Probe(random);
                    }
                }
                if (random.NextDouble() < 0.2)
                {
                    var lifecycle = new JsonObject();
                    if (random.NextDouble() < 0.7)
                    {
                        lifecycle["preStop"] = Hook(random);
                    }
                    if (random.NextDouble() < 0.5)
                    {
                        lifecycle["postStart"] = Hook(random);
                    }
                    if (random.NextDouble() < 0.2)
                    {
                        lifecycle["stopSignal"] = "SIGTERM";
                    }
                    container["lifecycle"] = lifecycle;
                }
            }
        }
    }

    private static JsonNode Port(Random random) => random.Next(7) switch
    {
        0 => "http",
        1 => "metrics",
        2 => "8080",
        3 => 15020,
        4 => "no-such-port",
        _ => random.Next(1, 65535),
    };

    private static JsonObject Http(Random random)
    {
        var http = new JsonObject { ["path"] = random.Next(3) == 0 ? "/q?a=<b>&c" : "/ready", ["port"] = Port(random) };
        if (random.Next(3) == 0)
        {
            http["scheme"] = random.Next(2) == 0 ? "HTTPS" : "HTTP";
        }
        if (random.Next(4) == 0)
        {
            http["host"] = "10.0.0.1";
        }
        if (random.Next(4) == 0)
        {
            http["httpHeaders"] = new JsonArray(new JsonObject { ["name"] = "X-Check", ["value"] = "a&b <c> \u2028 ünï" });
        }
        if (random.Next(8) == 0)
        {
            http["futureField"] = new JsonObject { ["n"] = 1.5 };
        }
        if (random.Next(6) == 0)
        {
            // Keys in another order than Go's.
            var reordered = new JsonObject();
            foreach (var key in (string[])["httpHeaders", "scheme", "port", "futureField", "host", "path"])
            {
                if (http[key] is { } value)
                {
                    reordered[key] = value.DeepClone();
                }
            }
            http = reordered;
        }
        return http;
    }

    private static JsonObject Probe(Random random)
    {
        var probe = random.Next(5) switch
        {
            0 or 1 => new JsonObject { ["httpGet"] = Http(random) },
            2 => new JsonObject { ["tcpSocket"] = random.Next(2) == 0 ? new JsonObject { ["port"] = Port(random) } : new JsonObject { ["host"] = "db", ["port"] = Port(random) } },
            3 => new JsonObject { ["grpc"] = random.Next(2) == 0 ? new JsonObject { ["port"] = 9090 } : new JsonObject { ["service"] = "health", ["port"] = 9090 } },
            _ => new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("true") } },
        };
        if (random.Next(2) == 0)
        {
            probe["timeoutSeconds"] = random.Next(3) == 0 ? 0 : random.Next(1, 10);
        }
        if (random.Next(3) == 0)
        {
            probe["periodSeconds"] = 7;
            probe["failureThreshold"] = 2;
        }
        return probe;
    }

    private static JsonObject Hook(Random random) => random.Next(4) switch
    {
        0 or 1 => new JsonObject { ["httpGet"] = Http(random) },
        2 => new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = Port(random) } },
        _ => new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("sleep", "5") } },
    };
}
