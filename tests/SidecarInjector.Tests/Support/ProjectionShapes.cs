using System.Text.Json.Nodes;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// Shapes a pod may have that the fresh path's projection must notice (and then inject the whole pod):
/// the pod's own versions of injected containers and volumes with fields the projection leaves out,
/// lifecycle hooks, command and args, empty lists, a value that looks like a placeholder. Added at
/// random to generated pods by the differential test.
/// </summary>
internal static class ProjectionShapes
{
    private static readonly string[] InjectedVolumeNames =
        ["istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert", "workload-socket", "credential-socket", "workload-certs"];

    public static void AddSome(JsonObject pod, Random random)
    {
        bool Chance(double p) => random.NextDouble() < p;
        var spec = pod["spec"]!.AsObject();
        var containers = spec["containers"]!.AsArray();
        if (Chance(0.08))
        {
            Volumes(spec).Add(new JsonObject
            {
                ["name"] = InjectedVolumeNames[random.Next(InjectedVolumeNames.Length)],
                ["emptyDir"] = Chance(0.5) ? new JsonObject { ["medium"] = "Memory", ["sizeLimit"] = "1Gi" } : new JsonObject(),
            });
        }
        if (Chance(0.05))
        {
            containers.Add(new JsonObject
            {
                ["name"] = "istio-proxy",
                ["image"] = Chance(0.5) ? "auto" : "example.com/proxy:1",
                ["env"] = new JsonArray(new JsonObject { ["name"] = "OWN", ["value"] = "1" }),
                ["args"] = new JsonArray("proxy", "sidecar", "--concurrency", "4"),
                ["securityContext"] = Chance(0.5) ? new JsonObject { ["runAsUser"] = 1500, ["runAsGroup"] = 1500 } : new JsonObject(),
            });
        }
        if (Chance(0.04))
        {
            if (spec["initContainers"] is not JsonArray init)
            {
                init = [];
                spec["initContainers"] = init;
            }
            init.Add(new JsonObject
            {
                ["name"] = Chance(0.5) ? "istio-init" : "istio-validation",
                ["image"] = "auto",
                ["args"] = new JsonArray("istio-iptables", "-p", "15001"),
                ["env"] = new JsonArray(new JsonObject { ["name"] = "OWN", ["value"] = "1" }),
            });
        }
        foreach (var item in containers)
        {
            if (item is not JsonObject container || container["name"]?.GetValue<string>() == "istio-proxy")
            {
                continue;
            }
            if (Chance(0.1))
            {
                container["lifecycle"] = new JsonObject
                {
                    ["preStop"] = Chance(0.5)
                        ? new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/stop", ["port"] = 8080 } }
                        : new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("sleep", "5") } },
                };
            }
            if (Chance(0.1))
            {
                container["command"] = new JsonArray("/app");
                container["args"] = new JsonArray("--port", "8080");
            }
            if (Chance(0.05))
            {
                container["envFrom"] = new JsonArray(new JsonObject { ["configMapRef"] = new JsonObject { ["name"] = "settings" } });
            }
            if (Chance(0.05))
            {
                container["env"] = new JsonArray();
            }
            if (Chance(0.02))
            {
                container["env"] = new JsonArray(new JsonObject { ["name"] = "ODD", ["value"] = "a\u0001b" });
            }
        }
    }

    private static JsonArray Volumes(JsonObject spec)
    {
        if (spec["volumes"] is not JsonArray volumes)
        {
            volumes = [];
            spec["volumes"] = volumes;
        }
        return volumes;
    }
}
