using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.JsonPatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// A stand-in kube-apiserver over TLS (no kube-apiserver binary can be installed here) that behaves
/// as the real one does for the calls the injector makes: namespaces, nodes and
/// mutatingwebhookconfigurations, list (a resourceVersion on every object and list) then watch from
/// a version (events as JSON lines, flushed as they happen; a version older than the history kept
/// gets an ERROR event with a 410 Status, as etcd compaction causes), <c>fieldSelector=metadata.name=</c>,
/// PATCH with <c>application/json-patch+json</c> (a failed <c>test</c> op: 422; other patch types it is
/// not asked for: 415), bearer-token authentication (401), RBAC refusals on demand (403 with the
/// apiserver's Status message), and going down (connections reset, as an unreachable apiserver).
/// Namespaced objects (pods, configmaps: what check-inject reads) are served by GET, 404 with a
/// NotFound Status when absent.
/// </summary>
internal sealed class StandInApiServer : IAsyncDisposable
{
    public const string Token = "stand-in-token";
    private const string Webhooks = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
    private const string Namespaces = "/api/v1/namespaces";
    private const string Nodes = "/api/v1/nodes";

    private readonly object _lock = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _objects = new()
    {
        [Namespaces] = [],
        [Nodes] = [],
        [Webhooks] = [],
    };
    private readonly List<(long Version, string Collection, string Type, JsonObject Object)> _events = [];
    /// <summary>Namespaced objects by the API path of their group and version (<c>/api/v1</c>, <c>/apis/apps/v1</c>), resource, namespace and name.</summary>
    private readonly Dictionary<(string Api, string Resource, string Namespace, string Name), JsonObject> _namespaced = [];
    private long _version = 100;
    private long _compactedThrough;
    private CancellationTokenSource _watches = new();
    private readonly WebApplication _app;

    /// <summary>Verbs refused with 403, as "patch mutatingwebhookconfigurations" or "list namespaces".</summary>
    public HashSet<string> Forbidden { get; } = [];

    /// <summary>While true every connection is reset before an answer.</summary>
    public bool Down { get; private set; }

    public int Patches { get; private set; }
    public int Requests { get; private set; }

    private readonly TestCertificates _certificates;

    private StandInApiServer(WebApplication app, TestCertificates certificates)
    {
        _app = app;
        _certificates = certificates;
    }

    public static async Task<StandInApiServer> StartAsync(bool down = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificates = new TestCertificates();
        var (certPem, keyPem, _) = certificates.IssueServing("kubernetes.default.svc");
        var serving = X509Certificate2.CreateFromPem(certPem, keyPem);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(serving)));
        var app = builder.Build();
        var server = new StandInApiServer(app, certificates) { Down = down };
        app.Run(server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    public int Port => new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    /// <summary>A kubeconfig for this server: its CA, a bearer token.</summary>
    public string WriteKubeconfig(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "kubeconfig");
        var ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(_certificates.Ca.ExportCertificatePem()));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: stand-in
              cluster:
                server: https://127.0.0.1:{Port}
                certificate-authority-data: {ca}
            users:
            - name: injector
              user:
                token: {Token}
            contexts:
            - name: stand-in
              context:
                cluster: stand-in
                user: injector
            current-context: stand-in
            """);
        return path;
    }

    public void SetDown(bool down)
    {
        lock (_lock)
        {
            Down = down;
            if (down)
            {
                _watches.Cancel();
                _watches = new CancellationTokenSource();
            }
        }
    }

    /// <summary>Forgets the event history (etcd compaction): watches from an older version get 410.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedThrough = _version;
            _events.Clear();
            _watches.Cancel();
            _watches = new CancellationTokenSource();
        }
    }

    public void PutNamespace(JsonObject ns) => Put(Namespaces, ns);

    public void PutNode(JsonObject node) => Put(Nodes, node);

    /// <summary>Deletes a node (a DELETED event for watchers).</summary>
    public void DeleteNode(string name)
    {
        lock (_lock)
        {
            if (_objects[Nodes].Remove(name, out var node))
            {
                node["metadata"]!["resourceVersion"] = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
                _events.Add((_version, Nodes, "DELETED", node));
                Monitor.PulseAll(_lock);
            }
        }
    }

    public void PutWebhookConfiguration(JsonObject config) => Put(Webhooks, config);

    /// <summary>Stores a namespaced object (a Pod, a ConfigMap) under its kind's resource, namespace and name.</summary>
    public void PutNamespaced(JsonObject value)
    {
        lock (_lock)
        {
            var copy = value.DeepClone().AsObject();
            var metadata = copy["metadata"]!.AsObject();
            metadata["resourceVersion"] = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata["uid"] ??= Guid.NewGuid().ToString();
            var resource = copy["kind"]!.GetValue<string>().ToLowerInvariant() + "s";
            var apiVersion = copy["apiVersion"]?.GetValue<string>() ?? "v1";
            var api = apiVersion.Contains('/', StringComparison.Ordinal) ? "/apis/" + apiVersion : "/api/" + apiVersion;
            _namespaced[(api, resource, metadata["namespace"]!.GetValue<string>(), metadata["name"]!.GetValue<string>())] = copy;
        }
    }

    public JsonObject? WebhookConfiguration(string name)
    {
        lock (_lock)
        {
            return _objects[Webhooks].GetValueOrDefault(name)?.DeepClone().AsObject();
        }
    }

    private void Put(string collection, JsonObject value)
    {
        lock (_lock)
        {
            var copy = value.DeepClone().AsObject();
            var name = copy["metadata"]!["name"]!.GetValue<string>();
            var type = _objects[collection].ContainsKey(name) ? "MODIFIED" : "ADDED";
            Store(collection, name, copy, type);
        }
    }

    private void Store(string collection, string name, JsonObject value, string type)
    {
        value["metadata"]!["resourceVersion"] = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects[collection][name] = value;
        _events.Add((_version, collection, type, value.DeepClone().AsObject()));
        Monitor.PulseAll(_lock);
    }

    private async Task HandleAsync(HttpContext context)
    {
        lock (_lock)
        {
            Requests++;
        }
        if (Down)
        {
            context.Abort();
            return;
        }
        if (context.Request.Headers.Authorization != "Bearer " + Token)
        {
            await Status(context, 401, "Unauthorized", "Unauthorized");
            return;
        }
        var path = context.Request.Path.Value ?? "";
        if (path.Split('/') is ["", "api", "v1", "namespaces", var objectNamespace, var resourceName, var objectName])
        {
            await GetNamespaced(context, "/api/v1", resourceName, Uri.UnescapeDataString(objectNamespace), Uri.UnescapeDataString(objectName));
            return;
        }
        if (path.Split('/') is ["", "apis", var group, var version, "namespaces", var groupNamespace, var groupResource, var groupObjectName])
        {
            await GetNamespaced(context, $"/apis/{group}/{version}", groupResource, Uri.UnescapeDataString(groupNamespace), Uri.UnescapeDataString(groupObjectName));
            return;
        }
        var collection = path.StartsWith(Webhooks, StringComparison.Ordinal) ? Webhooks
            : path.StartsWith(Namespaces, StringComparison.Ordinal) ? Namespaces
            : path.StartsWith(Nodes, StringComparison.Ordinal) ? Nodes
            : null;
        if (collection is null)
        {
            await Status(context, 404, "NotFound", "the server could not find the requested resource");
            return;
        }
        var resource = collection == Webhooks ? "mutatingwebhookconfigurations" : collection == Nodes ? "nodes" : "namespaces";
        var name = path.Length > collection.Length + 1 ? Uri.UnescapeDataString(path[(collection.Length + 1)..]) : null;
        bool watch = context.Request.Query["watch"] is var w && (w == "1" || w == "true");
        var verb = context.Request.Method switch
        {
            "GET" when name is not null => "get",
            "GET" when watch => "watch",
            "GET" => "list",
            "PATCH" => "patch",
            _ => "other",
        };
        if (Forbidden.Contains($"{verb} {resource}"))
        {
            await Status(context, 403, "Forbidden",
                $"{resource} is forbidden: User \"system:serviceaccount:sidecar-injector:sidecar-injector\" cannot {verb} resource \"{resource}\" in API group \"{(collection == Webhooks ? "admissionregistration.k8s.io" : "")}\" at the cluster scope");
            return;
        }
        string? selectedName = null;
        if (context.Request.Query["fieldSelector"] is { Count: > 0 } selector)
        {
            if (!selector.ToString().StartsWith("metadata.name=", StringComparison.Ordinal))
            {
                await Status(context, 400, "BadRequest", "field label not supported: " + selector);
                return;
            }
            selectedName = selector.ToString()["metadata.name=".Length..];
        }
        switch (verb)
        {
            case "list":
                await List(context, collection, selectedName);
                break;
            case "watch":
                await Watch(context, collection, selectedName);
                break;
            case "get":
                await Get(context, collection, name!);
                break;
            case "patch":
                await Patch(context, collection, name!);
                break;
            default:
                await Status(context, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
                break;
        }
    }

    private async Task List(HttpContext context, string collection, string? selectedName)
    {
        JsonObject list;
        lock (_lock)
        {
            var items = new JsonArray();
            foreach (var (name, value) in _objects[collection])
            {
                if (selectedName is null || selectedName == name)
                {
                    items.Add(value.DeepClone());
                }
            }
            list = new JsonObject
            {
                ["kind"] = collection == Webhooks ? "MutatingWebhookConfigurationList" : collection == Nodes ? "NodeList" : "NamespaceList",
                ["apiVersion"] = collection == Webhooks ? "admissionregistration.k8s.io/v1" : "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                ["items"] = items,
            };
        }
        await Json(context, 200, list);
    }

    /// <summary>The API group of <c>/apis/GROUP/VERSION</c> ("" for the core group's <c>/api/v1</c>).</summary>
    private static string Group(string api) => api.StartsWith("/apis/", StringComparison.Ordinal) ? api.Split('/')[2] : "";

    private async Task GetNamespaced(HttpContext context, string api, string resource, string ns, string name)
    {
        if (context.Request.Method != "GET")
        {
            await Status(context, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
            return;
        }
        if (Forbidden.Contains("get " + resource))
        {
            await Status(context, 403, "Forbidden",
                $"{resource} \"{name}\" is forbidden: User \"alice\" cannot get resource \"{resource}\" in API group \"{Group(api)}\" in the namespace \"{ns}\"");
            return;
        }
        JsonObject? value;
        lock (_lock)
        {
            value = _namespaced.GetValueOrDefault((api, resource, ns, name))?.DeepClone().AsObject();
        }
        if (value is null)
        {
            // As the apiserver names it: pods "web" not found, deployments.apps "web" not found.
            await Status(context, 404, "NotFound", $"{resource}{(Group(api).Length > 0 ? "." + Group(api) : "")} \"{name}\" not found");
            return;
        }
        await Json(context, 200, value);
    }

    private async Task Get(HttpContext context, string collection, string name)
    {
        JsonObject? value;
        lock (_lock)
        {
            value = _objects[collection].GetValueOrDefault(name)?.DeepClone().AsObject();
        }
        if (value is null)
        {
            await Status(context, 404, "NotFound", $"\"{name}\" not found");
            return;
        }
        await Json(context, 200, value);
    }

    private async Task Watch(HttpContext context, string collection, string? selectedName)
    {
        long from = long.Parse(context.Request.Query["resourceVersion"].ToString() is { Length: > 0 } v ? v : "0", System.Globalization.CultureInfo.InvariantCulture);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        CancellationToken stop;
        lock (_lock)
        {
            stop = _watches.Token;
        }
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, context.RequestAborted);
        await context.Response.StartAsync(both.Token);
        if (from < _compactedThrough)
        {
            var gone = new JsonObject
            {
                ["type"] = "ERROR",
                ["object"] = new JsonObject
                {
                    ["kind"] = "Status",
                    ["apiVersion"] = "v1",
                    ["metadata"] = new JsonObject(),
                    ["status"] = "Failure",
                    ["message"] = $"too old resource version: {from} ({_compactedThrough})",
                    ["reason"] = "Expired",
                    ["code"] = 410,
                },
            };
            await context.Response.WriteAsync(gone.ToJsonString() + "\n", both.Token);
            return;
        }
        try
        {
            while (!both.IsCancellationRequested)
            {
                List<(long Version, string Collection, string Type, JsonObject Object)> pending;
                lock (_lock)
                {
                    pending = _events.Where(e => e.Version > from && e.Collection == collection).ToList();
                }
                foreach (var e in pending)
                {
                    from = e.Version;
                    if (selectedName is not null && e.Object["metadata"]!["name"]!.GetValue<string>() != selectedName)
                    {
                        continue;
                    }
                    var line = new JsonObject { ["type"] = e.Type, ["object"] = e.Object.DeepClone() };
                    await context.Response.WriteAsync(line.ToJsonString() + "\n", both.Token);
                    await context.Response.Body.FlushAsync(both.Token);
                }
                await Task.Delay(20, both.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Going down or compacting ends the watch as a dropped connection does.
            context.Abort();
        }
    }

    private async Task Patch(HttpContext context, string collection, string name)
    {
        var contentType = context.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal))
        {
            await Status(context, 415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
            return;
        }
        string body;
        using (var reader = new StreamReader(context.Request.Body))
        {
            body = await reader.ReadToEndAsync();
        }
        JsonObject result;
        lock (_lock)
        {
            if (_objects[collection].GetValueOrDefault(name) is not { } current)
            {
                result = new JsonObject { ["missing"] = true };
            }
            else
            {
                try
                {
                    var document = JObject.Parse(current.ToJsonString());
                    JsonConvert.DeserializeObject<JsonPatchDocument>(body)!.ApplyTo(document);
                    var patched = JsonNode.Parse(document.ToString(Formatting.None))!.AsObject();
                    Store(collection, name, patched, "MODIFIED");
                    Patches++;
                    result = patched.DeepClone().AsObject();
                }
                catch (Exception e) when (e is Microsoft.AspNetCore.JsonPatch.Exceptions.JsonPatchException or JsonException)
                {
                    result = new JsonObject { ["invalid"] = e.Message };
                }
            }
        }
        if (result["missing"] is not null)
        {
            await Status(context, 404, "NotFound", $"mutatingwebhookconfigurations.admissionregistration.k8s.io \"{name}\" not found");
        }
        else if (result["invalid"] is { } message)
        {
            await Status(context, 422, "Invalid", message.GetValue<string>());
        }
        else
        {
            await Json(context, 200, result);
        }
    }

    private static Task Json(HttpContext context, int code, JsonObject value)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(value.ToJsonString());
    }

    private static Task Status(HttpContext context, int code, string reason, string message) => Json(context, code, new JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    });

    public async ValueTask DisposeAsync()
    {
        _watches.Cancel();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificates.Dispose();
    }
}
