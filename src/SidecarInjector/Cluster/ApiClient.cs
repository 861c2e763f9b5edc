using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Authentication;
using k8s.Exceptions;

namespace SidecarInjector.Cluster;

/// <summary>
/// The apiserver, through KubernetesClient.Aot: its configuration (in-cluster service account, or a
/// kubeconfig), its credentials (a projected token is re-read as it rotates; exec plugins, client
/// certificates) and its check of the server's certificate against the cluster's CA. The requests
/// go out on an HttpClient of our own rather than the client's <c>Kubernetes</c> class: constructing
/// that class keeps every generated API operation in the binary (+15 MB), for the handful of calls
/// made here; and watches are read as the stream of lines they are (the AOT build has no watcher).
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly ServiceClientCredentials? _credentials;

    private ApiClient(KubernetesClientConfiguration config, string source)
    {
        Source = source;
        _server = new Uri(config.Host);
        _credentials = Kubernetes.CreateCredentials(config);
        var handler = new SocketsHttpHandler
        {
            // Watches are long requests; the pool keeps one connection per watch and one for patches.
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (config.SkipTlsVerify)
        {
            // A webhook that patches its own trust (the caBundle) must know whom it talks to.
            throw new KubeConfigException($"{source}: insecure-skip-tls-verify is not supported; give the cluster's certificate-authority");
        }
        if (config.SslCaCerts is { Count: > 0 } authorities)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                Kubernetes.CertificateValidationCallBack(sender, authorities, certificate, chain, errors);
        }
        if (ClientCertificate(config) is { } clientCertificate)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The kubeconfig's client certificate (inline data or files, PEM), or null.</summary>
    private static X509Certificate2? ClientCertificate(KubernetesClientConfiguration config)
    {
        string? Pem(string? data, string? file) =>
            !string.IsNullOrEmpty(data) ? Encoding.UTF8.GetString(Convert.FromBase64String(data))
            : !string.IsNullOrEmpty(file) ? File.ReadAllText(file) : null;
        var certificate = Pem(config.ClientCertificateData, config.ClientCertificateFilePath);
        var key = Pem(config.ClientCertificateKeyData, config.ClientKeyFilePath);
        return certificate is null || key is null ? null : X509Certificate2.CreateFromPem(certificate, key);
    }

    /// <summary>The namespace of the kubeconfig's context (or the service account's), for commands given no -n.</summary>
    public string? DefaultNamespace { get; private init; }

    /// <summary>Where the configuration came from, for the log ("in-cluster service account", "kubeconfig FILE").</summary>
    public string Source { get; }

    /// <summary>Whether <see cref="Connect"/> would try a cluster (without reading anything).</summary>
    public static bool IsConfigured(string? kubeconfig) =>
        !string.IsNullOrEmpty(kubeconfig) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"));

    /// <summary>
    /// The cluster the injector runs in: <paramref name="kubeconfig"/> when given, else the in-cluster
    /// service account when KUBERNETES_SERVICE_HOST is set, else none (every cluster feature off).
    /// </summary>
    public static ApiClient? Connect(string? kubeconfig)
    {
        if (!string.IsNullOrEmpty(kubeconfig))
        {
            return new ApiClient(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig), "kubeconfig " + kubeconfig);
        }
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
        {
            return new ApiClient(KubernetesClientConfiguration.InClusterConfig(), "in-cluster service account");
        }
        return null;
    }

    /// <summary>
    /// The cluster a person's command talks to, as kubectl finds it: <paramref name="kubeconfig"/>,
    /// else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account. Unlike the
    /// client's BuildDefaultConfig there is no fallback to an unauthenticated localhost:8080.
    /// </summary>
    /// <exception cref="KubeConfigException">No cluster found, or the kubeconfig cannot be used.</exception>
    public static ApiClient ConnectAsUser(string? kubeconfig, string? context, Func<string, string?> environment)
    {
        kubeconfig ??= environment("KUBECONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment.Split(':')[0] : null;
        if (kubeconfig is null && environment("HOME") is { Length: > 0 } home && File.Exists(Path.Combine(home, ".kube", "config")))
        {
            kubeconfig = Path.Combine(home, ".kube", "config");
        }
        if (kubeconfig is not null)
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context);
            return new ApiClient(config, "kubeconfig " + kubeconfig) { DefaultNamespace = config.Namespace };
        }
        if (!string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")))
        {
            var config = KubernetesClientConfiguration.InClusterConfig();
            return new ApiClient(config, "in-cluster service account") { DefaultNamespace = config.Namespace };
        }
        throw new KubeConfigException("no cluster: give --kubeconfig FILE, or set KUBECONFIG, or create ~/.kube/config");
    }

    /// <summary>
    /// Sends a request for <paramref name="path"/> (from the server's root, with its query) with the
    /// client's credentials; the caller reads the body (a watch's as it streams).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, new Uri(_server, path)) { Content = content };
        if (_credentials is not null)
        {
            await _credentials.ProcessHttpRequestAsync(request, cancel).ConfigureAwait(false);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
    }

    /// <summary>The response's JSON, or an <see cref="ApiException"/> with the apiserver's own reason.</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        await EnsureSuccessAsync(response, cancel).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancel).ConfigureAwait(false);
    }

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
        throw new ApiException(response.StatusCode, ApiException.MessageOf(text));
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The apiserver refused a request: its status code and the message of its Status object.</summary>
internal sealed class ApiException(HttpStatusCode status, string message) : Exception($"{(int)status} {status}: {message}")
{
    public HttpStatusCode Status { get; } = status;

    public static string MessageOf(string statusJson)
    {
        try
        {
            using var document = JsonDocument.Parse(statusJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        return statusJson.Length > 200 ? statusJson[..200] : statusJson;
    }
}
