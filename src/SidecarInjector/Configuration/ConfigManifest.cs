using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Configuration;

/// <summary>
/// The injector's config held as Kubernetes manifests rather than a mounted folder (what
/// <c>kubectl get cm istio-sidecar-injector -o yaml</c> prints): one ConfigMap whose data has
/// <c>config</c> (and <c>values</c>, and optionally <c>mesh</c>), and optionally beside it, in the
/// same file, a ConfigMap with only <c>mesh</c> (Istio keeps the mesh config in the <c>istio</c>
/// ConfigMap). Documents may be separated by <c>---</c> or gathered in a <c>List</c>. Problems
/// inside a key are reported at the line of the file.
/// </summary>
internal static class ConfigManifest
{
    /// <summary>Two ConfigMaps of at most 1 MiB each, with room for kubectl's metadata.</summary>
    public const long MaxFileBytes = 3 * ConfigLoader.MaxConfigBytes;

    public static ConfigLoader.ConfigFiles Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(path, 0, 0, "file not found");
        }
        if (new FileInfo(path).Length > MaxFileBytes)
        {
            throw new ConfigException(path, 0, 0, $"more than {MaxFileBytes} bytes: not a ConfigMap manifest");
        }
        return Parse(File.ReadAllText(path), path);
    }

    public static ConfigLoader.ConfigFiles Parse(string text, string path)
    {
        var documents = YamlDocument.ParseAll(text, path);
        var configMaps = new List<(int Document, string[] Prefix, JsonObject Map)>();
        for (int d = 0; d < documents.Count; d++)
        {
            if (documents[d] is not JsonObject document)
            {
                continue;
            }
            if (document["kind"]?.ToString() == "List" && document["items"] is JsonArray items)
            {
                for (int i = 0; i < items.Count; i++)
                {
                    if (items[i] is JsonObject item && IsConfigMap(item))
                    {
                        configMaps.Add((d, ["items", i.ToString(System.Globalization.CultureInfo.InvariantCulture)], item));
                    }
                }
            }
            else if (IsConfigMap(document))
            {
                configMaps.Add((d, [], document));
            }
        }

        var injector = configMaps.FindAll(c => c.Map["data"]?["config"] is not null);
        if (injector.Count == 0)
        {
            throw new ConfigException(path, 0, 0, configMaps.Count == 0
                ? "no ConfigMap in the file (expected the injector's, e.g. `kubectl get cm istio-sidecar-injector -o yaml`)"
                : "no ConfigMap in the file has a 'config' key (the injector's ConfigMap has config and values)");
        }
        if (injector.Count > 1)
        {
            throw new ConfigException(path, 0, 0,
                $"{injector.Count} ConfigMaps have a 'config' key ({Names(injector)}): give the file one injector ConfigMap");
        }
        var (injectorDocument, prefix, configMap) = injector[0];
        var name = NameOf(configMap);
        var meshSource = (Document: injectorDocument, Prefix: prefix, Map: configMap);
        if (configMap["data"]?["mesh"] is null)
        {
            var meshOnly = configMaps.FindAll(c => c.Map["data"]?["mesh"] is not null);
            if (meshOnly.Count > 1)
            {
                throw new ConfigException(path, 0, 0, $"{meshOnly.Count} ConfigMaps have a 'mesh' key ({Names(meshOnly)}): keep the one the injector should use");
            }
            if (meshOnly.Count == 1)
            {
                meshSource = meshOnly[0];
            }
        }

        byte[]? Bytes(JsonObject map, string key) => map["data"]?[key] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => Encoding.UTF8.GetBytes(s),
            _ => throw new ConfigException(path, 0, 0, $"ConfigMap {NameOf(map)}: data.{key} must be a string"),
        };

        var config = Bytes(configMap, ConfigLoader.ConfigFile)!;
        var values = Bytes(configMap, ConfigLoader.ValuesFile);
        var mesh = Bytes(meshSource.Map, ConfigLoader.MeshFile);
        long total = config.Length + (values?.Length ?? 0) + (mesh?.Length ?? 0);
        if (total > ConfigLoader.MaxConfigBytes)
        {
            throw new ConfigException(path, 0, 0,
                $"config, values and mesh are {total} bytes together, more than a ConfigMap can hold ({ConfigLoader.MaxConfigBytes})");
        }
        return new ConfigLoader.ConfigFiles($"{path} (ConfigMap {name})", config, values, mesh)
        {
            ConfigOrigin = PlacedOrigin(text, path, injectorDocument, prefix, configMap, ConfigLoader.ConfigFile),
            ValuesOrigin = PlacedOrigin(text, path, injectorDocument, prefix, configMap, ConfigLoader.ValuesFile),
            MeshOrigin = PlacedOrigin(text, path, meshSource.Document, meshSource.Prefix, meshSource.Map, ConfigLoader.MeshFile),
        };
    }

    /// <summary>
    /// A key of a ConfigMap in the file: problems at the file's lines when the value is a literal
    /// block (kubectl writes multi-line strings so), else named by ConfigMap and key with the
    /// value's own lines.
    /// </summary>
    private static ConfigLoader.TextOrigin PlacedOrigin(string text, string path, int document, string[] prefix, JsonObject map, string key) =>
        YamlPositions.BlockScalar(text, document, [.. prefix, "data", key]) is { } placed
            ? new ConfigLoader.TextOrigin(path, placed)
            : new ConfigLoader.TextOrigin($"{path} (ConfigMap {NameOf(map)}, data.{key})", YamlPositions.Placement.Whole);

    private static bool IsConfigMap(JsonObject document) =>
        document["kind"]?.ToString() == "ConfigMap" && document["apiVersion"]?.ToString() == "v1";

    private static string NameOf(JsonObject map)
    {
        var metadata = map["metadata"];
        var ns = metadata?["namespace"]?.ToString();
        var name = metadata?["name"]?.ToString() ?? "(unnamed)";
        return ns is { Length: > 0 } ? ns + "/" + name : name;
    }

    private static string Names(List<(int, string[], JsonObject Map)> maps)
    {
        var names = new List<string>(maps.Count);
        foreach (var (_, _, map) in maps)
        {
            names.Add(NameOf(map));
        }
        return string.Join(", ", names);
    }
}
