using System.Text.Json.Nodes;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// Field order of the core/v1 types Istio marshals with Go's encoding/json (structToJSON, the
/// proxy.istio.io/overrides annotation, ISTIO_KUBE_APP_PROBERS): Go writes struct fields in
/// declaration order, and a non-pointer struct field without omitempty (resources) always.
/// </summary>
internal static class GoTypes
{
    /// <summary>A field: its JSON name, the Go type of its value (or of its items), and whether Go always writes it.</summary>
    internal readonly record struct Field(string Name, string? Type = null, bool Always = false);

    private static readonly Dictionary<string, Field[]> Types = new(StringComparer.Ordinal)
    {
        ["PodSpec"] =
        [
            new("volumes"), new("initContainers", "Container"), new("containers", "Container"), new("ephemeralContainers", "Container"),
            new("restartPolicy"), new("terminationGracePeriodSeconds"), new("activeDeadlineSeconds"), new("dnsPolicy"), new("nodeSelector"),
            new("serviceAccountName"), new("serviceAccount"), new("automountServiceAccountToken"), new("nodeName"), new("hostNetwork"),
            new("hostPID"), new("hostIPC"), new("shareProcessNamespace"), new("securityContext"), new("imagePullSecrets"), new("hostname"),
            new("subdomain"), new("affinity"), new("schedulerName"), new("tolerations"), new("hostAliases"), new("priorityClassName"),
            new("priority"), new("dnsConfig"), new("readinessGates"), new("runtimeClassName"), new("enableServiceLinks"),
            new("preemptionPolicy"), new("overhead"), new("topologySpreadConstraints"), new("setHostnameAsFQDN"), new("os"),
            new("hostUsers"), new("schedulingGates"), new("resourceClaims"), new("resources"),
        ],
        ["Container"] =
        [
            new("name"), new("image"), new("command"), new("args"), new("workingDir"), new("ports", "ContainerPort"), new("envFrom"),
            new("env", "EnvVar"), new("resources", "ResourceRequirements", Always: true), new("resizePolicy"), new("restartPolicy"),
            new("volumeMounts", "VolumeMount"), new("volumeDevices"), new("livenessProbe", "Probe"), new("readinessProbe", "Probe"),
            new("startupProbe", "Probe"), new("lifecycle", "Lifecycle"), new("terminationMessagePath"), new("terminationMessagePolicy"),
            new("imagePullPolicy"), new("securityContext", "SecurityContext"), new("stdin"), new("stdinOnce"), new("tty"),
        ],
        ["ContainerPort"] = [new("name"), new("hostPort"), new("containerPort"), new("protocol"), new("hostIP")],
        ["EnvVar"] = [new("name"), new("value"), new("valueFrom", "EnvVarSource")],
        ["EnvVarSource"] = [new("fieldRef", "ObjectFieldSelector"), new("resourceFieldRef", "ResourceFieldSelector"), new("configMapKeyRef"), new("secretKeyRef")],
        ["ObjectFieldSelector"] = [new("apiVersion"), new("fieldPath")],
        ["ResourceFieldSelector"] = [new("containerName"), new("resource"), new("divisor")],
        ["ResourceRequirements"] = [new("limits"), new("requests"), new("claims")],
        ["VolumeMount"] = [new("name"), new("readOnly"), new("recursiveReadOnly"), new("mountPath"), new("subPath"), new("mountPropagation"), new("subPathExpr")],
        ["Probe"] =
        [
            new("exec"), new("httpGet", "HTTPGetAction"), new("tcpSocket", "TCPSocketAction"), new("grpc", "GRPCAction"),
            new("initialDelaySeconds"), new("timeoutSeconds"), new("periodSeconds"), new("successThreshold"), new("failureThreshold"),
            new("terminationGracePeriodSeconds"),
        ],
        ["HTTPGetAction"] = [new("path"), new("port"), new("host"), new("scheme"), new("httpHeaders")],
        ["TCPSocketAction"] = [new("port"), new("host")],
        ["GRPCAction"] = [new("port"), new("service")],
        ["Lifecycle"] = [new("postStart", "LifecycleHandler"), new("preStop", "LifecycleHandler"), new("stopSignal")],
        ["LifecycleHandler"] = [new("exec"), new("httpGet", "HTTPGetAction"), new("tcpSocket", "TCPSocketAction"), new("sleep")],
        ["SecurityContext"] =
        [
            new("capabilities", "Capabilities"), new("privileged"), new("seLinuxOptions"), new("windowsOptions"), new("runAsUser"),
            new("runAsGroup"), new("runAsNonRoot"), new("readOnlyRootFilesystem"), new("allowPrivilegeEscalation"), new("procMount"),
            new("seccompProfile"), new("appArmorProfile"),
        ],
        ["Capabilities"] = [new("add"), new("drop")],
    };

    /// <summary>The Go type of <paramref name="field"/> within <paramref name="type"/>, if known.</summary>
    public static string? ChildType(string? type, string field)
    {
        if (type is null || !Types.TryGetValue(type, out var fields))
        {
            return null;
        }
        foreach (var f in fields)
        {
            if (f.Name == field)
            {
                return f.Type;
            }
        }
        return null;
    }

    /// <summary>A copy of <paramref name="value"/> with fields in Go's order for <paramref name="type"/>, recursively.</summary>
    public static JsonNode? Order(JsonNode? value, string? type)
    {
        switch (value)
        {
            case JsonArray list:
                var items = new JsonArray();
                foreach (var item in list)
                {
                    items.Add(Order(item, type));
                }
                return items;
            case JsonObject o when type == "ResourceRequirements":
                // Quantities are written in their canonical form ("3000m" is "3").
                // limits, requests, claims in struct order; resource names are map keys, so sorted.
                var resources = new JsonObject();
                foreach (var k in (ReadOnlySpan<string>)["limits", "requests", "claims"])
                {
                    if (!o.TryGetPropertyValue(k, out var v))
                    {
                        continue;
                    }
                    if (v is JsonObject amounts)
                    {
                        var names = new List<string>();
                        foreach (var (name, _) in amounts)
                        {
                            names.Add(name);
                        }
                        names.Sort(StringComparer.Ordinal);
                        var canonical = new JsonObject();
                        foreach (var name in names)
                        {
                            canonical[name] = Quantity.Canonical(amounts[name]?.ToString() ?? "");
                        }
                        resources[k] = canonical;
                    }
                    else
                    {
                        resources[k] = v?.DeepClone();
                    }
                }
                return resources;
            case JsonObject o when type is not null && Types.TryGetValue(type, out var fields):
                var ordered = new JsonObject();
                foreach (var field in fields)
                {
                    if (o.TryGetPropertyValue(field.Name, out var v))
                    {
                        ordered[field.Name] = Order(v, field.Type);
                    }
                    else if (field.Always)
                    {
                        ordered[field.Name] = new JsonObject();
                    }
                }
                foreach (var (k, v) in o)
                {
                    if (!ordered.ContainsKey(k))
                    {
                        ordered[k] = v?.DeepClone();
                    }
                }
                return ordered;
            default:
                return value?.DeepClone();
        }
    }
}
