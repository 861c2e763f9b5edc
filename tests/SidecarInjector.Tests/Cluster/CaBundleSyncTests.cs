using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Cluster;

/// <summary>
/// The served webhook keeps its MutatingWebhookConfiguration's caBundle equal to the CA file, against
/// a stand-in apiserver over TLS: at start, after someone blanks it, after the CA rotates, with the
/// API down at start, with RBAC missing, and after the apiserver compacts its history (410).
/// </summary>
public sealed class CaBundleSyncTests : IAsyncLifetime, IDisposable
{
    private const string Name = "sidecar-injector";

    /// <summary>What the issue asks of a blanking or a CA rotation.</summary>
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(2);

    /// <summary>The first set: the server starts and connects first (no bound is asked of it; a loaded CI machine takes seconds).</summary>
    private static readonly TimeSpan AtStart = TimeSpan.FromSeconds(15);

    private StandInApiServer _api = null!;
    private KubeletMount _ca = null!;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sidecar-injector-tests", Guid.NewGuid().ToString("N"));
    private readonly StringWriter _logText = new();
    private TextWriter Log => TextWriter.Synchronized(_logText);

    public async Task InitializeAsync()
    {
        _api = await StandInApiServer.StartAsync();
        _api.PutWebhookConfiguration(WebhookConfiguration());
        _ca = new KubeletMount(Path.Combine(_root, "ca"), new Dictionary<string, string> { ["ca.crt"] = Pem("first") });
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose()
    {
        _ca.Dispose();
        _logText.Dispose();
    }

    private static string Pem(string text) =>
        "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(Encoding.UTF8.GetBytes("test CA " + text)) + "\n-----END CERTIFICATE-----\n";

    private static JsonObject WebhookConfiguration(string? caBundle = null)
    {
        JsonObject Webhook(string name)
        {
            var clientConfig = new JsonObject
            {
                ["service"] = new JsonObject { ["name"] = "sidecar-injector", ["namespace"] = "sidecar-injector", ["path"] = "/inject", ["port"] = 443 },
            };
            if (caBundle is not null)
            {
                clientConfig["caBundle"] = caBundle;
            }
            return new JsonObject
            {
                ["name"] = name,
                ["clientConfig"] = clientConfig,
                ["admissionReviewVersions"] = new JsonArray("v1"),
                ["sideEffects"] = "None",
            };
        }
        return new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = Name },
            ["webhooks"] = new JsonArray(Webhook("namespace.sidecar-injector.io"), Webhook("object.sidecar-injector.io")),
        };
    }

    private Task<ServerHarness> StartInjectorAsync() => ServerHarness.StartAsync(o => o with
    {
        Kubeconfig = _api.WriteKubeconfig(Path.Combine(_root, "kube")),
        WebhookConfigName = Name,
        CaFile = _ca.PathOf("ca.crt"),
    }, log: Log);

    /// <summary>The caBundle of every webhook decoded, or null for a webhook without one.</summary>
    private List<string?> Bundles() =>
        [.. _api.WebhookConfiguration(Name)!["webhooks"]!.AsArray().Select(w =>
            w!["clientConfig"]!["caBundle"]?.GetValue<string>() is { } b ? Encoding.UTF8.GetString(Convert.FromBase64String(b)) : null)];

    private static async Task Eventually(Func<bool> condition, TimeSpan within, Func<string> what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what());
            await Task.Delay(25);
        }
    }

    private Func<string> State => () => $"caBundles: [{string.Join(", ", Bundles())}]\nlog:\n{_logText}";

    private bool AllAre(string pem) => Bundles().All(b => b == pem);

    [Fact]
    public async Task Set_at_start_and_not_patched_again_while_equal()
    {
        await using var injector = await StartInjectorAsync();
        await Eventually(() => AllAre(Pem("first")), AtStart, State);
        int patches = _api.Patches;

        // Another change to the object (a label) is seen, and nothing needs patching.
        var labelled = _api.WebhookConfiguration(Name)!;
        labelled["metadata"]!["labels"] = new JsonObject { ["team"] = "platform" };
        _api.PutWebhookConfiguration(labelled);
        await Task.Delay(500);
        Assert.Equal(patches, _api.Patches);
    }

    /// <summary>At rest the injector only holds its watches open: no request while nothing changes.</summary>
    [Fact]
    public async Task At_rest_it_watches_and_never_polls()
    {
        await using var injector = await StartInjectorAsync();
        await Eventually(() => AllAre(Pem("first")), AtStart, State);
        await Task.Delay(300);
        int requests = _api.Requests;
        await Task.Delay(3000);
        Assert.Equal(requests, _api.Requests);
    }

    [Fact]
    public async Task Restored_within_two_seconds_after_a_reapply_blanks_it()
    {
        await using var injector = await StartInjectorAsync();
        await Eventually(() => AllAre(Pem("first")), AtStart, State);

        _api.PutWebhookConfiguration(WebhookConfiguration());
        Assert.All(Bundles(), Assert.Null);
        await Eventually(() => AllAre(Pem("first")), Soon, State);
    }

    [Fact]
    public async Task Updated_within_two_seconds_after_the_ca_rotates()
    {
        await using var injector = await StartInjectorAsync();
        await Eventually(() => AllAre(Pem("first")), AtStart, State);

        _ca.Update(new Dictionary<string, string> { ["ca.crt"] = Pem("second") });
        await Eventually(() => AllAre(Pem("second")), Soon, State);
    }

    [Fact]
    public async Task Api_down_at_start_and_later_the_webhook_serves_and_the_bundle_follows_when_it_is_back()
    {
        _api.SetDown(true);
        await using var injector = await StartInjectorAsync();
        using var client = injector.WebhookClient(out _);
        var answer = await client.PostAsync("/inject", new StringContent(Reviews.Review(Reviews.SamplePod()), Encoding.UTF8, "application/json"));
        Assert.True(answer.IsSuccessStatusCode, "the webhook serves while the API is down");

        _api.SetDown(false);
        await Eventually(() => AllAre(Pem("first")), TimeSpan.FromSeconds(15), State);

        // Down again: the watch breaks, a blanking made meanwhile is mended once it is back.
        _api.SetDown(true);
        await Task.Delay(300);
        _api.PutWebhookConfiguration(WebhookConfiguration());
        _api.SetDown(false);
        await Eventually(() => AllAre(Pem("first")), TimeSpan.FromSeconds(15), State);
        Assert.Contains("retrying", _logText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_rbac_is_logged_as_such_and_the_bundle_is_set_once_granted()
    {
        _api.Forbidden.Add("patch mutatingwebhookconfigurations");
        await using var injector = await StartInjectorAsync();
        await Eventually(() => _logText.ToString().Contains("RBAC", StringComparison.Ordinal), TimeSpan.FromSeconds(5), State);
        Assert.Contains("403", _logText.ToString(), StringComparison.Ordinal);
        using var client = injector.WebhookClient(out _);
        var answer = await client.PostAsync("/inject", new StringContent(Reviews.Review(Reviews.SamplePod()), Encoding.UTF8, "application/json"));
        Assert.True(answer.IsSuccessStatusCode, "the webhook serves without the permission");

        _api.Forbidden.Clear();
        await Eventually(() => AllAre(Pem("first")), TimeSpan.FromSeconds(15), State);
    }

    [Fact]
    public async Task After_the_apiserver_compacts_its_history_the_watch_lists_again()
    {
        await using var injector = await StartInjectorAsync();
        await Eventually(() => AllAre(Pem("first")), AtStart, State);

        _api.Compact();
        _api.PutWebhookConfiguration(WebhookConfiguration());
        await Eventually(() => AllAre(Pem("first")), TimeSpan.FromSeconds(5), State);
    }
}
