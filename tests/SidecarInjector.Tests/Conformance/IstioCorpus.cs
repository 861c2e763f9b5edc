using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Conformance;

/// <summary>
/// One of Istio's injection corpora (tests/testdata/istio-inject, December 2024, and
/// istio-inject-head, August 2026): its cases, their settings (config, values, mesh over Istio's
/// defaults, mesh tweaks, environment), and its documents as pods.
/// </summary>
internal sealed class IstioCorpus(string name, string root)
{
    public static readonly IstioCorpus December = new("2024-12", Paths.IstioTestdata);
    public static readonly IstioCorpus Head = new("head", Paths.IstioHeadTestdata);

    /// <summary>
    /// A corpus folder of the same layout named by CONFORMANCE_CORPUS (a newer Istio's table, cases
    /// of your own); when set, the conformance tests run it alone, as "extra".
    /// </summary>
    public static readonly IstioCorpus? Extra = Environment.GetEnvironmentVariable("CONFORMANCE_CORPUS") is { Length: > 0 } d ? new("extra", d) : null;

    public static IstioCorpus Named(string name) => name == Head.Name ? Head : name == December.Name ? December
        : name == "extra" ? Extra! : throw new ArgumentException("no corpus " + name);

    /// <summary>How test names and known-failures.txt call it.</summary>
    public string Name { get; } = name;

    public string Root { get; } = root;

    public JsonArray Cases() => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "cases.json")))!.AsArray();

    public JsonObject Case(int index)
    {
        foreach (var c in Cases())
        {
            if (c!["index"]!.GetValue<int>() == index)
            {
                return c.AsObject();
            }
        }
        throw new ArgumentException("no case " + index);
    }

    /// <summary>The corpus's default injector config (Istio's own injection template), as its first default case loads it.</summary>
    public ConfigSnapshot DefaultSettings()
    {
        foreach (var c in Cases())
        {
            if (c!["settings"]!.GetValue<string>() == "default")
            {
                return Settings(c.AsObject());
            }
        }
        return Settings(new JsonObject { ["settings"] = "default" });
    }

    /// <summary>The case's injector config, values and mesh, loaded as the injector loads a ConfigMap.</summary>
    public ConfigSnapshot Settings(JsonObject c)
    {
        var prefix = c["settings"]!.GetValue<string>();
        string Input(string kind) => File.ReadAllText(Path.Combine(Root, "inputs", $"{prefix}.{kind}.gen.yaml"));
        var mesh = YamlDocument.Parse(Input("mesh"), "mesh") as JsonObject ?? [];
        if (c["mesh"] is JsonObject tweaks)
        {
            mesh = ApplyTweaks(mesh, tweaks);
        }
        var meshDefaults = (JsonObject)YamlDocument.Parse(File.ReadAllText(Path.Combine(Root, "mesh-defaults.yaml")), "mesh-defaults.yaml")!;
        var env = new Dictionary<string, string>();
        if (this == December)
        {
            // Written when Istio's native sidecars were off unless asked for; today's default is on.
            env["ENABLE_NATIVE_SIDECARS"] = "false";
        }
        if (c["env"] is JsonObject e)
        {
            foreach (var (k, v) in e)
            {
                env[k] = v!.ToString();
            }
        }
        var files = new ConfigLoader.ConfigFiles(prefix,
            Encoding.UTF8.GetBytes(Input("template")), Encoding.UTF8.GetBytes(Input("values")), Encoding.UTF8.GetBytes(mesh.ToJsonString()));
        return ConfigLoader.Load(files, name => env.TryGetValue(name, out var value) ? value : null, meshDefaults);
    }

    /// <summary>A case's mesh change: dotted proto-JSON paths; {} sets an empty message.</summary>
    private static JsonObject ApplyTweaks(JsonObject mesh, JsonObject tweaks)
    {
        foreach (var (path, value) in tweaks)
        {
            var parts = path.Split('.');
            JsonObject target = mesh;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (target[parts[i]] is not JsonObject next)
                {
                    next = [];
                    target[parts[i]] = next;
                }
                target = next;
            }
            target[parts[^1]] = value?.DeepClone();
        }
        return mesh;
    }

    public string Document(string file) => File.ReadAllText(Path.Combine(Root, "inject", file));

    private static readonly HashSet<string> Workloads = new(StringComparer.Ordinal)
    {
        "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "DeploymentConfig", "CronJob", "Pod",
    };

    /// <summary>The pods a multi-document file holds, as the webhook would see them (Istio's objectToPod).</summary>
    public static List<JsonObject> Pods(string yaml)
    {
        var pods = new List<JsonObject>();
        foreach (var part in yaml.Split("\n---"))
        {
            var text = part.TrimStart('-');
            if (text.Trim().Length == 0)
            {
                continue;
            }
            if (YamlDocument.Parse(text, "document") is JsonObject document)
            {
                Collect(document, pods);
            }
        }
        return pods;
    }

    private static void Collect(JsonObject document, List<JsonObject> pods)
    {
        var kind = document["kind"]?.GetValue<string>() ?? "";
        if (kind == "List")
        {
            foreach (var item in document["items"] as JsonArray ?? [])
            {
                if (item is JsonObject o)
                {
                    Collect(o, pods);
                }
            }
            return;
        }
        if (!Workloads.Contains(kind))
        {
            return;
        }
        if (kind == "Pod")
        {
            pods.Add(document);
            return;
        }
        var name = document["metadata"]?["name"]?.GetValue<string>() ?? "";
        var template = kind == "CronJob"
            ? document["spec"]?["jobTemplate"]?["spec"]?["template"]
            : document["spec"]?["template"];
        var metadata = template?["metadata"]?.DeepClone() as JsonObject ?? [];
        var owner = new JsonObject
        {
            ["apiVersion"] = document["apiVersion"]?.GetValue<string>(),
            ["kind"] = kind,
            ["name"] = name,
            ["uid"] = "",
            ["controller"] = true,
        };
        if (kind == "Deployment")
        {
            metadata["generateName"] = name + "-fake-";
            owner = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = name + "-fake", ["uid"] = "", ["controller"] = true };
            if (metadata["labels"] is not JsonObject labels)
            {
                labels = [];
                metadata["labels"] = labels;
            }
            labels["pod-template-hash"] = "fake";
        }
        else
        {
            metadata["generateName"] = name;
        }
        metadata["ownerReferences"] = new JsonArray(owner);
        if (metadata["namespace"] is null && document["metadata"]?["namespace"] is JsonNode ns)
        {
            metadata["namespace"] = ns.DeepClone();
        }
        pods.Add(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = template?["spec"]?.DeepClone(),
        });
    }
}
