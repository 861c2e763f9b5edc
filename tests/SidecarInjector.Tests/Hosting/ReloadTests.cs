using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>ConfigMap and Secret updates as kubelet makes them (..data swap), served without a restart.</summary>
public sealed class ReloadTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    private static async Task<string?> InjectedProxyImage(ServerHarness harness)
    {
        using var client = harness.WebhookClient(out _);
        return await InjectedProxyImage(client);
    }

    private static async Task<string?> InjectedProxyImage(HttpClient client)
    {
        var pod = Reviews.SamplePod();
        using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(pod)));
        var answer = Reviews.Parse(await response.Content.ReadAsStringAsync());
        var patched = Reviews.Patched(pod, answer);
        foreach (var c in patched["spec"]!["containers"]!.AsArray())
        {
            if (c!["name"]!.GetValue<string>() == "istio-proxy")
            {
                return c["image"]!.GetValue<string>();
            }
        }
        return null;
    }

    private static Dictionary<string, string> WithProxyImage(string image)
    {
        var files = ServerHarness.DefaultConfigFiles();
        // The default template takes the proxy image from values (an image with a '/' is used as it is).
        var values = JsonNode.Parse(files["values"])!.AsObject();
        values["global"]!["proxy"]!["image"] = image;
        files["values"] = values.ToJsonString();
        return files;
    }

    [Fact]
    public async Task A_configmap_update_is_served_within_two_seconds_and_a_broken_one_is_ignored()
    {
        // A long poll interval proves the directory watcher, not the poll, picked the change up.
        await using var harness = await ServerHarness.StartAsync(o => o with { PollInterval = TimeSpan.FromMinutes(10) });
        Assert.Equal("docker.io/istio/proxyv2:1.24.2", await InjectedProxyImage(harness));

        harness.ConfigMount!.Update(WithProxyImage("registry.example.com/proxy:2.0"));
        Assert.True(await ServerHarness.Eventually(async () => await InjectedProxyImage(harness) == "registry.example.com/proxy:2.0", Within));

        using var admin = harness.AdminClient();
        var readyBefore = await admin.GetStringAsync("/readyz");
        // Counters are process-wide, and other tests' servers run in this process: compare, don't assume.
        var failuresBefore = PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injector_config_reloads_total{result=\"failure\"}");
        var broken = WithProxyImage("registry.example.com/proxy:3.0");
        broken["config"] += "\n  broken: [unclosed\n";
        harness.ConfigMount.Update(broken);
        Assert.True(await ServerHarness.Eventually(async () =>
            PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injector_config_reloads_total{result=\"failure\"}") > failuresBefore, Within));
        Assert.Equal("registry.example.com/proxy:2.0", await InjectedProxyImage(harness));
        Assert.Equal(readyBefore, await admin.GetStringAsync("/readyz"));

        harness.ConfigMount.Update(WithProxyImage("registry.example.com/proxy:4.0"));
        Assert.True(await ServerHarness.Eventually(async () => await InjectedProxyImage(harness) == "registry.example.com/proxy:4.0", Within));
    }

    [Fact]
    public async Task A_configmap_manifest_given_with_config_file_is_served_and_reloaded_when_edited()
    {
        var dir = Directory.CreateTempSubdirectory("config-file-");
        try
        {
            var path = Path.Combine(dir.FullName, "istio-sidecar-injector.yaml");
            string Manifest(Dictionary<string, string> files) =>
                SidecarInjector.Tests.Configuration.ConfigManifestTests.InjectorConfigMap(files["config"], files["values"]);
            File.WriteAllText(path, Manifest(WithProxyImage("registry.example.com/proxy:file-1")));
            await using var harness = await ServerHarness.StartAsync(
                o => o with { ConfigDir = null, ConfigFile = path, PollInterval = TimeSpan.FromMinutes(10) }, createConfig: false);
            Assert.Equal("registry.example.com/proxy:file-1", await InjectedProxyImage(harness));

            // Edited in place (or swapped by kubelet, when mounted): the folder's watcher sees it.
            var next = path + ".new";
            File.WriteAllText(next, Manifest(WithProxyImage("registry.example.com/proxy:file-2")));
            File.Move(next, path, overwrite: true);
            Assert.True(await ServerHarness.Eventually(async () => await InjectedProxyImage(harness) == "registry.example.com/proxy:file-2", Within));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_rotated_certificate_is_served_within_two_seconds()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { PollInterval = TimeSpan.FromMinutes(10) });
        var first = harness.ServingThumbprint;
        Assert.Equal(first, await PresentedThumbprint(harness));

        harness.RotateCertificate();
        var second = harness.ServingThumbprint;
        Assert.NotEqual(first, second);
        Assert.True(await ServerHarness.Eventually(async () => await PresentedThumbprint(harness) == second, Within));
    }

    [Fact]
    public async Task A_half_written_key_pair_keeps_the_old_certificate()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { PollInterval = TimeSpan.FromMinutes(10) });
        var original = harness.ServingThumbprint;
        var (newCert, _, newThumbprint) = harness.Certificates.IssueServing();
        var oldKey = File.ReadAllText(harness.Secret.PathOf("tls.key"));

        // The certificate has changed but the key has not yet: not a valid pair.
        using var admin = harness.AdminClient();
        var failuresBefore = PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injector_certificate_reloads_total{result=\"failure\"}");
        harness.Secret.Update(new Dictionary<string, string> { ["tls.crt"] = newCert, ["tls.key"] = oldKey });
        Assert.True(await ServerHarness.Eventually(async () =>
            PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injector_certificate_reloads_total{result=\"failure\"}") > failuresBefore, Within));
        Assert.Equal(original, await PresentedThumbprint(harness));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);

        harness.RotateCertificate();
        Assert.True(await ServerHarness.Eventually(async () => await PresentedThumbprint(harness) == harness.ServingThumbprint, Within));
        Assert.NotEqual(newThumbprint, harness.ServingThumbprint);
    }

    [Fact]
    public async Task Certificate_and_configmap_rotations_under_load_fail_no_review()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { PollInterval = TimeSpan.FromMinutes(10) });
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var imagesSeen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        int served = 0;

        // Each client serves a few reviews on one keep-alive connection, then a new client makes a
        // new connection: handshakes keep happening while the certificate changes under them.
        async Task Load()
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = harness.WebhookClient(out _);
                for (int i = 0; i < 5; i++)
                {
                    try
                    {
                        var image = await InjectedProxyImage(client);
                        imagesSeen.AddOrUpdate(image ?? "(no proxy)", 1, (_, n) => n + 1);
                        Interlocked.Increment(ref served);
                    }
                    catch (Exception e)
                    {
                        failures.Enqueue(e.GetType().Name + ": " + e.Message);
                    }
                }
            }
        }
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(Load)).ToArray();

        for (int rotation = 1; rotation <= 3; rotation++)
        {
            harness.RotateCertificate();
            harness.ConfigMount!.Update(WithProxyImage($"registry.example.com/proxy:{rotation}"));
            var image = $"registry.example.com/proxy:{rotation}";
            Assert.True(await ServerHarness.Eventually(async () =>
                await PresentedThumbprint(harness) == harness.ServingThumbprint && imagesSeen.ContainsKey(image), Within));
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Empty(failures);
        Assert.True(served >= 40, $"only {served} reviews were served under load");
        Assert.DoesNotContain("(no proxy)", imagesSeen.Keys);
    }

    [Fact]
    public async Task Without_a_config_the_server_is_not_ready_until_one_appears()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { PollInterval = TimeSpan.FromMilliseconds(500) }, createConfig: false);
        using var admin = harness.AdminClient();
        using (var notReady = await admin.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("no valid injector config", await notReady.Content.ReadAsStringAsync());
        }
        using (var client = harness.WebhookClient(out _))
        using (var unavailable = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod()))))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        }

        using var mount = new KubeletMount(Path.Combine(Path.GetDirectoryName(harness.Secret.Directory)!, "config"), ServerHarness.DefaultConfigFiles());
        Assert.True(await ServerHarness.Eventually(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, Within));
        Assert.Equal("docker.io/istio/proxyv2:1.24.2", await InjectedProxyImage(harness));
    }

    private static async Task<string?> PresentedThumbprint(ServerHarness harness)
    {
        string? seen = null;
        // A new client means a new TLS handshake, which is where a new certificate shows.
        using var client = harness.WebhookClient(out _, onServerCertificate: (X509Certificate2 c) => seen = c.Thumbprint);
        using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        return response.IsSuccessStatusCode ? seen : null;
    }
}
