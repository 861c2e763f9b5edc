using System.Text.Json.Nodes;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// The zero values Kubernetes' Go types write even when unset (fields without omitempty):
/// <c>resources: {}</c>, empty strategies and statuses, so that
/// kube-inject's output reads as the Go client writes it.
/// </summary>
internal static class GoObjects
{
    /// <param name="document">A document of a manifest; for a List, its items that <paramref name="isWorkload"/> accepts are normalised too.</param>
    /// <param name="isWorkload">Whether a List item is one of the kinds the caller injected.</param>
    public static JsonObject Normalize(JsonObject document, Func<JsonObject, bool> isWorkload)
    {
        // A YAML null reads into Go as a nil pointer, slice or map, and omitempty leaves it out.
        DropNulls(document);
        var kind = document["kind"]?.ToString() ?? "";
        if (kind == "List")
        {
            foreach (var item in document["items"] as JsonArray ?? [])
            {
                if (item is JsonObject o && isWorkload(o))
                {
                    Normalize(o, isWorkload);
                }
            }
            document["metadata"] ??= new JsonObject();
            return document;
        }
        Meta(document);
        var spec = document["spec"] as JsonObject;
        switch (kind)
        {
            case "Pod":
                PodSpec(spec);
                document["status"] ??= new JsonObject();
                break;
            case "CronJob":
                if (spec?["jobTemplate"] is JsonObject jobTemplate)
                {
                    Meta(jobTemplate);
                    Template(jobTemplate["spec"]?["template"] as JsonObject);
                }
                document["status"] ??= new JsonObject();
                break;
            default:
                Template(spec?["template"] as JsonObject);
                break;
        }
        switch (kind)
        {
            case "Deployment":
                if (spec is not null) spec["strategy"] ??= new JsonObject();
                document["status"] ??= new JsonObject();
                break;
            case "DaemonSet":
                if (spec is not null) spec["updateStrategy"] ??= new JsonObject();
                document["status"] ??= new JsonObject
                {
                    ["currentNumberScheduled"] = 0,
                    ["desiredNumberScheduled"] = 0,
                    ["numberMisscheduled"] = 0,
                    ["numberReady"] = 0,
                };
                break;
            case "StatefulSet":
                if (spec is not null) spec["updateStrategy"] ??= new JsonObject();
                document["status"] ??= new JsonObject { ["availableReplicas"] = 0, ["replicas"] = 0 };
                break;
            case "ReplicaSet" or "ReplicationController":
                document["status"] ??= new JsonObject { ["replicas"] = 0 };
                break;
            case "Job":
                document["status"] ??= new JsonObject();
                break;
            case "DeploymentConfig":
                if (spec is not null)
                {
                    if (spec["strategy"] is JsonObject strategy)
                    {
                        strategy["resources"] ??= new JsonObject();
                    }
                    spec["test"] ??= false;
                    // omitempty scalars of DeploymentConfigSpec.
                    if (spec["minReadySeconds"] is JsonValue minReady && minReady.ToJsonString() == "0")
                    {
                        spec.Remove("minReadySeconds");
                    }
                    if (spec["paused"] is JsonValue paused && paused.ToJsonString() == "false")
                    {
                        spec.Remove("paused");
                    }
                    if (!spec.ContainsKey("triggers"))
                    {
                        spec["triggers"] = null;
                    }
                }
                document["status"] ??= new JsonObject
                {
                    ["availableReplicas"] = 0,
                    ["latestVersion"] = 0,
                    ["observedGeneration"] = 0,
                    ["replicas"] = 0,
                    ["unavailableReplicas"] = 0,
                    ["updatedReplicas"] = 0,
                };
                break;
        }
        return document;
    }

    private static void DropNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var nulls = new List<string>();
                foreach (var (k, v) in o)
                {
                    if (v is null)
                    {
                        nulls.Add(k);
                    }
                    else
                    {
                        DropNulls(v);
                    }
                }
                foreach (var k in nulls)
                {
                    o.Remove(k);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    DropNulls(item);
                }
                break;
        }
    }

    private static void Template(JsonObject? template)
    {
        if (template is null)
        {
            return;
        }
        Meta(template);
        PodSpec(template["spec"] as JsonObject);
    }

    private static readonly string[] ProbeFields = ["readinessProbe", "livenessProbe", "startupProbe"];
    private static readonly string[] ProbeCounters = ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"];

    private static void Container(JsonObject container)
    {
        if (container["resources"] is not JsonObject resources)
        {
            resources = [];
            container["resources"] = resources;
        }
        foreach (var list in (ReadOnlySpan<string>)["limits", "requests"])
        {
            if (resources[list] is JsonObject amounts)
            {
                foreach (var key in amounts.Select(p => p.Key).ToList())
                {
                    amounts[key] = Quantity.Canonical(amounts[key]?.ToString() ?? "");
                }
            }
        }
        foreach (var env in container["env"] as JsonArray ?? [])
        {
            // EnvVar.value is omitempty: an empty value is not written.
            if (env is JsonObject e && e["value"] is JsonValue value && value.ToString().Length == 0)
            {
                e.Remove("value");
            }
            // A zero resource.Quantity is written as "0".
            if (env?["valueFrom"]?["resourceFieldRef"] is JsonObject reference)
            {
                reference["divisor"] = reference["divisor"] is { } divisor ? Quantity.Canonical(divisor.ToString()) : "0";
            }
        }
        foreach (var field in ProbeFields)
        {
            if (container[field] is JsonObject probe)
            {
                // int32 fields with omitempty: zero is not written.
                foreach (var counter in ProbeCounters)
                {
                    if (probe[counter] is JsonValue v && v.ToJsonString() == "0")
                    {
                        probe.Remove(counter);
                    }
                }
            }
        }
    }

    private static void Meta(JsonObject holder)
    {
        if (holder["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            holder["metadata"] = metadata;
        }
        // Since Kubernetes 1.34 ObjectMeta omits a zero creationTimestamp (omitzero): today's kubectl,
        // and Istio's kube-inject with it, no longer write "creationTimestamp: null".
    }

    private static void PodSpec(JsonObject? spec)
    {
        if (spec is null)
        {
            return;
        }
        foreach (var field in (ReadOnlySpan<string>)["containers", "initContainers"])
        {
            foreach (var c in spec[field] as JsonArray ?? [])
            {
                if (c is JsonObject container)
                {
                    Container(container);
                }
            }
        }
    }
}
