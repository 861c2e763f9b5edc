using System.Net;
using System.Text.Json;
using k8s;

namespace SidecarInjector.Cluster;

/// <summary>
/// The apiserver, through KubernetesClient.Aot: its configuration (in-cluster service account, or a
/// kubeconfig), its TLS and its credentials (a projected token is re-read as it rotates). Requests
/// are sent on the client's own HttpClient with its credentials applied, so watches can be read as
/// the stream of lines they are (the AOT build of the client has no watcher).
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private readonly Kubernetes _client;

    private ApiClient(Kubernetes client, string source)
    {
        _client = client;
        Source = source;
    }

    /// <summary>Where the configuration came from, for the log ("in-cluster", "kubeconfig FILE").</summary>
    public string Source { get; }

    /// <summary>
    /// The cluster the injector runs in: <paramref name="kubeconfig"/> when given, else the in-cluster
    /// service account when KUBERNETES_SERVICE_HOST is set, else none (every cluster feature off).
    /// </summary>
    public static ApiClient? Connect(string? kubeconfig)
    {
        if (!string.IsNullOrEmpty(kubeconfig))
        {
            return new ApiClient(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)), "kubeconfig " + kubeconfig);
        }
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
        {
            return new ApiClient(new Kubernetes(KubernetesClientConfiguration.InClusterConfig()), "in-cluster service account");
        }
        return null;
    }

    /// <summary>Sends a request for <paramref name="path"/> (from the server's root, with its query); the body is read by the caller.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, new Uri(_client.BaseUri, path)) { Content = content };
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancel).ConfigureAwait(false);
        }
        return await _client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
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

    public void Dispose() => _client.Dispose();
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
