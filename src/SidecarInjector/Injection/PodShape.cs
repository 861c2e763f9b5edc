using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Injection;

/// <summary>
/// Checks that the parts of a pod the injection reads have the JSON types core/v1 gives them, so
/// that a wrongly typed field (a port that is a number, an env list that is a map) is refused with
/// its path instead of failing somewhere inside the merge. Fields the injection never reads are
/// left to the apiserver's own validation.
/// </summary>
internal static class PodShape
{
    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];
    private static readonly string[] ObjectLists = ["volumes", "imagePullSecrets", "tolerations", "hostAliases"];
    private static readonly string[] ContainerObjectLists = ["ports", "env", "envFrom", "volumeMounts", "volumeDevices", "resizePolicy"];
    private static readonly string[] ContainerObjects = ["readinessProbe", "livenessProbe", "startupProbe", "lifecycle", "securityContext", "resources"];
    private static readonly string[] ContainerStringLists = ["command", "args"];
    private static readonly string[] ProbeObjects = ["httpGet", "tcpSocket", "grpc", "exec"];

    /// <summary>Throws <see cref="InjectionException"/> naming the first field with the wrong type.</summary>
    public static void Check(JsonObject pod)
    {
        if (Optional<JsonObject>(pod, "metadata", "metadata") is { } metadata)
        {
            StringMap(metadata, "labels", "metadata.labels");
            StringMap(metadata, "annotations", "metadata.annotations");
        }
        if (Optional<JsonObject>(pod, "spec", "spec") is not { } spec)
        {
            return;
        }
        Optional<JsonObject>(spec, "securityContext", "spec.securityContext");
        foreach (var field in ObjectLists)
        {
            ObjectList(spec, field, "spec." + field);
        }
        foreach (var field in ContainerLists)
        {
            if (ObjectList(spec, field, "spec." + field) is not { } containers)
            {
                continue;
            }
            for (int i = 0; i < containers.Count; i++)
            {
                Container(containers[i]!.AsObject(), $"spec.{field}[{i}]");
            }
        }
    }

    private static void Container(JsonObject container, string path)
    {
        Optional<JsonValue>(container, "name", path + ".name", JsonValueKind.String);
        Optional<JsonValue>(container, "image", path + ".image", JsonValueKind.String);
        foreach (var field in ContainerObjectLists)
        {
            ObjectList(container, field, $"{path}.{field}");
        }
        foreach (var field in ContainerStringLists)
        {
            if (Optional<JsonArray>(container, field, $"{path}.{field}") is { } list)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                    {
                        throw Wrong($"{path}.{field}[{i}]", "a string");
                    }
                }
            }
        }
        foreach (var field in ContainerObjects)
        {
            if (Optional<JsonObject>(container, field, $"{path}.{field}") is { } value && field.EndsWith("Probe", StringComparison.Ordinal))
            {
                foreach (var handler in ProbeObjects)
                {
                    Optional<JsonObject>(value, handler, $"{path}.{field}.{handler}");
                }
            }
        }
    }

    private static JsonArray? ObjectList(JsonObject parent, string field, string path)
    {
        if (Optional<JsonArray>(parent, field, path) is not { } list)
        {
            return null;
        }
        // An unread list is checked as raw JSON, so the check does not build a node per item.
        if (JsonRaw.Of(list) is { } raw)
        {
            int index = 0;
            foreach (var item in raw.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw Wrong($"{path}[{index}]", "a mapping");
                }
                index++;
            }
            return list;
        }
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject)
            {
                throw Wrong($"{path}[{i}]", "a mapping");
            }
        }
        return list;
    }

    private static void StringMap(JsonObject parent, string field, string path)
    {
        if (Optional<JsonObject>(parent, field, path) is not { } map)
        {
            return;
        }
        foreach (var (key, value) in map)
        {
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            {
                throw Wrong($"{path}[\"{key}\"]", "a string");
            }
        }
    }

    /// <summary>The field when present and of type <typeparamref name="T"/>; null when absent or null.</summary>
    private static T? Optional<T>(JsonObject parent, string field, string path, JsonValueKind kind = JsonValueKind.Undefined)
        where T : JsonNode
    {
        var node = parent[field];
        if (node is null)
        {
            return null;
        }
        if (node is T typed && (kind == JsonValueKind.Undefined || node.GetValueKind() == kind))
        {
            return typed;
        }
        throw Wrong(path, typeof(T) == typeof(JsonObject) ? "a mapping"
            : typeof(T) == typeof(JsonArray) ? "a list"
            : kind == JsonValueKind.String ? "a string" : "a value");
    }

    private static InjectionException Wrong(string path, string expected) => new($"pod field {path} must be {expected}");
}
