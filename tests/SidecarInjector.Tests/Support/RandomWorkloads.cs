using System.Globalization;
using System.Text.Json.Nodes;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// Seeded random workloads and their pods, as the apiserver hands them to webhooks: Deployments
/// (through ReplicaSets), Jobs of CronJobs, plain Jobs, StatefulSets, DeploymentConfigs and bare
/// pods; 1–3 containers with ports, probes of every kind, env, resources; init containers; labels
/// and annotations Istio reads (interception, ports, resources, templates, prometheus, inject
/// switches) and ones it does not. Each <see cref="Pod"/> of a workload differs from its siblings
/// as real ones do: name, uid, owner uid, managedFields time, token volume, a Job's name and labels,
/// a StatefulSet's ordinal.
/// </summary>
internal sealed class RandomWorkloads(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Words = ["api", "web", "cart", "auth", "search", "orders", "mail", "feed", "queue", "edge"];
    private static readonly string[] Kinds = ["Deployment", "Deployment", "Deployment", "CronJob", "Job", "StatefulSet", "DeploymentConfig", "Pod"];

    /// <summary>One workload: its pod template and how its pods are named and owned.</summary>
    public sealed record Workload(string Kind, string Name, string Namespace, string Hash, JsonObject Template);

    public Workload Next()
    {
        var name = Pick(Words) + "-" + Pick(Words) + "-" + _random.Next(1000).ToString(CultureInfo.InvariantCulture);
        var kind = Pick(Kinds);
        var labels = new JsonObject { ["app"] = name };
        if (Chance(0.6))
        {
            labels["version"] = "v" + _random.Next(1, 4).ToString(CultureInfo.InvariantCulture);
        }
        if (Chance(0.1))
        {
            labels["service.istio.io/canonical-name"] = name + "-canonical";
        }
        if (Chance(0.05))
        {
            labels["sidecar.istio.io/inject"] = Chance(0.5) ? "false" : "true";
        }
        if (Chance(0.05))
        {
            labels["topology.istio.io/network"] = "net-" + _random.Next(3).ToString(CultureInfo.InvariantCulture);
        }
        if (Chance(0.1))
        {
            labels["team"] = Pick(Words);
        }
        var annotations = new JsonObject();
        void Maybe(double p, string key, Func<string> value)
        {
            if (Chance(p))
            {
                annotations[key] = value();
            }
        }
        Maybe(0.3, "prometheus.io/scrape", () => Chance(0.9) ? "true" : "false");
        Maybe(0.2, "prometheus.io/port", () => _random.Next(8000, 9100).ToString(CultureInfo.InvariantCulture));
        Maybe(0.1, "prometheus.io/path", () => "/metrics");
        Maybe(0.1, "sidecar.istio.io/proxyCPU", () => Pick(["100m", "200m", "1"]));
        Maybe(0.05, "sidecar.istio.io/proxyMemory", () => Pick(["128Mi", "1Gi"]));
        Maybe(0.05, "sidecar.istio.io/interceptionMode", () => Pick(["REDIRECT", "TPROXY"]));
        Maybe(0.05, "traffic.sidecar.istio.io/excludeInboundPorts", () => "9090,9091");
        Maybe(0.05, "traffic.sidecar.istio.io/includeOutboundIPRanges", () => "10.0.0.0/8");
        Maybe(0.05, "status.sidecar.istio.io/port", () => Pick(["15020", "0", "15021"]));
        Maybe(0.05, "sidecar.istio.io/rewriteAppHTTPProbers", () => Pick(["true", "false"]));
        Maybe(0.03, "sidecar.istio.io/inject", () => Pick(["false", "true"]));
        Maybe(0.03, "proxy.istio.io/config", () => "{\"holdApplicationUntilProxyStarts\": true}");
        Maybe(0.03, "kubectl.kubernetes.io/default-container", () => name);
        Maybe(0.05, "example.com/owner", () => Pick(Words));

        var containers = new JsonArray();
        int count = Pick([1, 1, 1, 2, 3]);
        for (int c = 0; c < count; c++)
        {
            containers.Add(Container(c == 0 ? name : Pick(Words) + "-" + c.ToString(CultureInfo.InvariantCulture), c));
        }
        if (Chance(0.03))
        {
            // The pod's own settings for the injected proxy (Istio's overrides).
            containers.Add(new JsonObject { ["name"] = "istio-proxy", ["image"] = "auto", ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "3" } } });
        }
        var spec = new JsonObject
        {
            ["containers"] = containers,
            ["restartPolicy"] = kind is "Job" or "CronJob" ? "Never" : "Always",
            ["terminationGracePeriodSeconds"] = 30,
            ["dnsPolicy"] = "ClusterFirst",
            ["serviceAccountName"] = Chance(0.7) ? "default" : name,
            ["securityContext"] = Chance(0.2) ? new JsonObject { ["runAsUser"] = 1000, ["fsGroup"] = 2000 } : new JsonObject(),
            ["schedulerName"] = "default-scheduler",
        };
        if (Chance(0.15))
        {
            spec["initContainers"] = new JsonArray(new JsonObject { ["name"] = "setup", ["image"] = "busybox:1.36", ["command"] = new JsonArray("sh", "-c", "true") });
        }
        if (Chance(0.2))
        {
            spec["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });
        }
        var metadata = new JsonObject { ["labels"] = labels };
        if (annotations.Count > 0)
        {
            metadata["annotations"] = annotations;
        }
        var ns = "team-" + _random.Next(5).ToString(CultureInfo.InvariantCulture);
        var hash = Suffix(10);
        return new Workload(kind, name, ns, hash, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec });
    }

    private JsonObject Container(string name, int index)
    {
        int port = Pick([80, 8080, 8443, 3000, 9000]) + index;
        var container = new JsonObject
        {
            ["name"] = name,
            ["image"] = $"registry.example.com/{name}:{_random.Next(1, 9)}.{_random.Next(10)}",
            ["imagePullPolicy"] = "IfNotPresent",
        };
        if (Chance(0.8))
        {
            var ports = new JsonArray { new JsonObject { ["name"] = "http", ["containerPort"] = port, ["protocol"] = "TCP" } };
            if (Chance(0.2))
            {
                ports.Add(new JsonObject { ["containerPort"] = port + 1000, ["protocol"] = Pick(["TCP", "UDP"]) });
            }
            container["ports"] = ports;
        }
        if (Chance(0.5))
        {
            var env = new JsonArray();
            int vars = Chance(0.02) ? 500 : _random.Next(6);
            for (int i = 0; i < vars; i++)
            {
                env.Add(new JsonObject { ["name"] = "VAR_" + i.ToString(CultureInfo.InvariantCulture), ["value"] = Suffix(8) });
            }
            container["env"] = env;
        }
        if (Chance(0.5))
        {
            container["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" } };
        }
        foreach (var probe in (string[])["readinessProbe", "livenessProbe", "startupProbe"])
        {
            if (Chance(0.4))
            {
                container[probe] = Probe(port);
            }
        }
        return container;
    }

    private JsonObject Probe(int port) => _random.Next(5) switch
    {
        0 => new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/ready", ["port"] = port, ["scheme"] = "HTTP" }, ["periodSeconds"] = 10 },
        1 => new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/healthz", ["port"] = "http" }, ["initialDelaySeconds"] = 5 },
        2 => new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = port } },
        3 => new JsonObject { ["grpc"] = new JsonObject { ["port"] = port } },
        _ => new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("cat", "/tmp/ok") } },
    };

    /// <summary>Pod number <paramref name="ordinal"/> of the workload, as its controller and the apiserver make it.</summary>
    public JsonObject Pod(Workload w, int ordinal)
    {
        var pod = w.Template.DeepClone().AsObject();
        var metadata = pod["metadata"]!.AsObject();
        var labels = metadata["labels"]!.AsObject();
        metadata["namespace"] = w.Namespace;
        metadata["uid"] = Uid();
        metadata["creationTimestamp"] = $"2026-11-28T10:{_random.Next(60):D2}:{_random.Next(60):D2}Z";
        metadata["managedFields"] = new JsonArray(new JsonObject
        {
            ["manager"] = "kube-controller-manager",
            ["operation"] = "Update",
            ["apiVersion"] = "v1",
            ["time"] = metadata["creationTimestamp"]!.GetValue<string>(),
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = new JsonObject { ["f:metadata"] = new JsonObject() },
        });
        string? owner = null, ownerKind = null, ownerApi = "apps/v1";
        switch (w.Kind)
        {
            case "Deployment":
                owner = $"{w.Name}-{w.Hash}";
                ownerKind = "ReplicaSet";
                labels["pod-template-hash"] = w.Hash;
                metadata["generateName"] = owner + "-";
                break;
            case "CronJob" or "Job":
                owner = w.Kind == "CronJob" ? $"{w.Name}-{29000000 + _random.Next(100000)}" : $"{w.Name}-{Suffix(5)}";
                ownerKind = "Job";
                ownerApi = "batch/v1";
                labels["job-name"] = owner;
                labels["batch.kubernetes.io/job-name"] = owner;
                var controllerUid = Uid();
                labels["controller-uid"] = controllerUid;
                labels["batch.kubernetes.io/controller-uid"] = controllerUid;
                metadata["generateName"] = owner + "-";
                break;
            case "StatefulSet":
                owner = w.Name;
                ownerKind = "StatefulSet";
                var podName = $"{w.Name}-{ordinal}";
                metadata["name"] = podName;
                labels["statefulset.kubernetes.io/pod-name"] = podName;
                labels["apps.kubernetes.io/pod-index"] = ordinal.ToString(CultureInfo.InvariantCulture);
                break;
            case "DeploymentConfig":
                owner = $"{w.Name}-{_random.Next(1, 5)}";
                ownerKind = "ReplicationController";
                ownerApi = "v1";
                labels["deploymentconfig"] = w.Name;
                metadata["generateName"] = owner + "-";
                break;
            default:
                metadata["name"] = $"{w.Name}-{Suffix(5)}";
                break;
        }
        if (owner is not null)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = ownerApi,
                ["kind"] = ownerKind,
                ["name"] = owner,
                ["uid"] = Uid(),
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            });
        }
        // The ServiceAccount admission's token volume, named at random per pod, mounted in every container.
        var token = "kube-api-access-" + Suffix(5);
        var spec = pod["spec"]!.AsObject();
        if (spec["volumes"] is not JsonArray volumes)
        {
            volumes = [];
            spec["volumes"] = volumes;
        }
        volumes.Add(new JsonObject
        {
            ["name"] = token,
            ["projected"] = new JsonObject { ["sources"] = new JsonArray(new JsonObject { ["serviceAccountToken"] = new JsonObject { ["path"] = "token" } }) },
        });
        foreach (var list in (string[])["containers", "initContainers"])
        {
            foreach (var container in spec[list] as JsonArray ?? [])
            {
                container!["volumeMounts"] = new JsonArray(new JsonObject
                {
                    ["name"] = token,
                    ["readOnly"] = true,
                    ["mountPath"] = "/var/run/secrets/kubernetes.io/serviceaccount",
                });
            }
        }
        return pod;
    }

    private string Uid()
    {
        var bytes = new byte[16];
        _random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private string Suffix(int length)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = alphabet[_random.Next(alphabet.Length)];
        }
        return new string(chars);
    }
}
