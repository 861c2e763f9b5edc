using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Render;

/// <summary>
/// Turns template text into a <see cref="SidecarTemplate"/> and rejects, with file and line,
/// anything that would not merge into a Pod.
/// </summary>
internal static class TemplateCompiler
{
    private static readonly HashSet<string> NamedLists = new(StringComparer.Ordinal)
    {
        "containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets",
    };

    /// <summary>
    /// Compiles one template. Text with Go-template actions is parsed (syntax errors and unknown
    /// functions fail here, with line and column); text without is parsed as YAML once.
    /// </summary>
    public static SidecarTemplate Compile(string name, string text, string sourceName, FunctionTable functions)
    {
        var location = $"{sourceName} (template {name})";
        if (text.Contains("{{", StringComparison.Ordinal))
        {
            try
            {
                return SidecarTemplate.FromGoTemplate(name, GoTemplate.Parse(name, text, functions));
            }
            catch (TemplateError e)
            {
                throw new ConfigException(location, e.Line, e.Column, e.Detail);
            }
        }

        var node = YamlDocument.Parse(text, location);
        if (node is null)
        {
            return SidecarTemplate.Constant(name, new JsonObject());
        }
        if (node is not JsonObject fragment)
        {
            throw new ConfigException(location, 1, 1, "a template must be a YAML mapping (a Pod fragment)");
        }
        ValidatePodFragment(fragment, location);
        return SidecarTemplate.Constant(name, Normalize(fragment));
    }

    /// <summary>Re-parses from JSON so every value in the tree is JSON-backed like the pods it is compared with.</summary>
    public static JsonObject Normalize(JsonObject fragment) => JsonNode.Parse(fragment.ToJsonString())!.AsObject();

    public static void ValidatePodFragment(JsonObject fragment, string location)
    {
        foreach (var (key, value) in fragment)
        {
            switch (key)
            {
                case "metadata":
                    ValidateMetadata(value, location);
                    break;
                case "spec":
                    ValidateSpec(value, location);
                    break;
                case "apiVersion" or "kind":
                    break;
                default:
                    throw new ConfigException(location, 0, 0, $"unexpected top-level field '{key}': a template is a Pod fragment with metadata and spec");
            }
        }
    }

    private static void ValidateMetadata(JsonNode? metadata, string location)
    {
        if (metadata is null)
        {
            return;
        }
        if (metadata is not JsonObject m)
        {
            throw new ConfigException(location, 0, 0, "metadata must be a mapping");
        }
        foreach (var field in (ReadOnlySpan<string>)["labels", "annotations"])
        {
            if (m[field] is null)
            {
                continue;
            }
            if (m[field] is not JsonObject map)
            {
                throw new ConfigException(location, 0, 0, $"metadata.{field} must be a mapping of strings");
            }
            foreach (var (k, v) in map)
            {
                if (v is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                {
                    throw new ConfigException(location, 0, 0, $"metadata.{field}.{k} must be a string (quote it in YAML)");
                }
            }
        }
    }

    private static void ValidateSpec(JsonNode? spec, string location)
    {
        if (spec is null)
        {
            return;
        }
        if (spec is not JsonObject s)
        {
            throw new ConfigException(location, 0, 0, "spec must be a mapping");
        }
        foreach (var (field, value) in s)
        {
            if (!NamedLists.Contains(field) || value is null)
            {
                continue;
            }
            if (value is not JsonArray list)
            {
                throw new ConfigException(location, 0, 0, $"spec.{field} must be a list");
            }
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject item)
                {
                    throw new ConfigException(location, 0, 0, $"spec.{field}[{i}] must be a mapping");
                }
                if (item.ContainsKey("$patch"))
                {
                    continue;
                }
                if (item["name"] is not JsonValue n || n.GetValueKind() != JsonValueKind.String || n.GetValue<string>().Length == 0)
                {
                    throw new ConfigException(location, 0, 0, $"spec.{field}[{i}] needs a name");
                }
                if (field is "containers" or "initContainers" or "ephemeralContainers")
                {
                    ValidateContainer(item, $"spec.{field}[{i}]", location);
                }
            }
        }
    }

    private static void ValidateContainer(JsonObject container, string path, string location)
    {
        foreach (var field in (ReadOnlySpan<string>)["env", "ports", "volumeMounts", "args", "command"])
        {
            if (container[field] is { } value && value is not JsonArray)
            {
                throw new ConfigException(location, 0, 0, $"{path}.{field} must be a list");
            }
        }
    }
}
