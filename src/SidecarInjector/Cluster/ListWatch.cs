using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace SidecarInjector.Cluster;

/// <summary>
/// Kubernetes' list-then-watch, as informers do it: list the collection, then watch from the list's
/// resourceVersion (bookmarks keep it current); a watch that ends is resumed from the last version
/// seen; <c>410 Gone</c> (the version was compacted away) lists again. Failures (apiserver down,
/// 403 for missing RBAC) are logged with the apiserver's reason and retried with backoff (0.2 s
/// doubling to 30 s); nothing here ever stops the webhook serving.
/// </summary>
internal sealed partial class ListWatch<T>(
    ApiClient api,
    string collectionPath,
    string? fieldSelector,
    JsonTypeInfo<T> model,
    Action<IReadOnlyList<T>> listed,
    Action<WatchEvent, T> changed,
    ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastBackoff = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken cancel)
    {
        var backoff = FirstBackoff;
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                var version = await ListAsync(cancel).ConfigureAwait(false);
                backoff = FirstBackoff;
                while (version is not null)
                {
                    version = await WatchAsync(version, cancel).ConfigureAwait(false);
                }
                LogRelist(logger, collectionPath);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or JsonException or OperationCanceledException)
            {
                LogFailed(logger, collectionPath, e is ApiException { Status: HttpStatusCode.Forbidden }
                    ? e.Message + " (the injector's RBAC is missing this permission)"
                    : e.Message, backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, cancel).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = backoff * 2 > LastBackoff ? LastBackoff : backoff * 2;
            }
        }
    }

    private string Query(string? more) =>
        collectionPath + "?" + (fieldSelector is null ? "" : "fieldSelector=" + Uri.EscapeDataString(fieldSelector) + "&") + more;

    private async Task<string> ListAsync(CancellationToken cancel)
    {
        using var response = await api.SendAsync(HttpMethod.Get, Query(null), null, cancel).ConfigureAwait(false);
        using var document = await ApiClient.ReadJsonAsync(response, cancel).ConfigureAwait(false);
        var items = new List<T>();
        if (document.RootElement.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                items.Add(item.Deserialize(model)!);
            }
        }
        listed(items);
        return document.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? "";
    }

    /// <summary>Watches from <paramref name="version"/>; returns the version to resume from, or null to list again (410).</summary>
    private async Task<string?> WatchAsync(string version, CancellationToken cancel)
    {
        var path = Query($"watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion={Uri.EscapeDataString(version)}");
        using var response = await api.SendAsync(HttpMethod.Get, path, null, cancel).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            return null;
        }
        await ApiClient.EnsureSuccessAsync(response, cancel).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            using var document = JsonDocument.Parse(line);
            var type = document.RootElement.GetProperty("type").GetString();
            var body = document.RootElement.GetProperty("object");
            switch (type)
            {
                case "ERROR":
                    // A Status object: 410 when the version was compacted away.
                    int code = body.TryGetProperty("code", out var c) && c.TryGetInt32(out int n) ? n : 500;
                    if (code == (int)HttpStatusCode.Gone)
                    {
                        return null;
                    }
                    throw new ApiException((HttpStatusCode)code, body.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "watch error");
                case "BOOKMARK":
                    version = body.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? version;
                    break;
                case "ADDED" or "MODIFIED" or "DELETED":
                    var item = body.Deserialize(model)!;
                    version = item.Metadata?.ResourceVersion ?? version;
                    changed(type == "ADDED" ? WatchEvent.Added : type == "MODIFIED" ? WatchEvent.Modified : WatchEvent.Deleted, item);
                    break;
            }
        }
        return version;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "watch of {Path}: the apiserver no longer has its version (410 Gone); listing again")]
    private static partial void LogRelist(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "watch of {Path} failed: {Reason}; retrying in {Seconds} s (the webhook keeps serving)")]
    private static partial void LogFailed(ILogger logger, string path, string reason, double seconds);
}
