using System.Net;
using System.Text;
using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace SidecarInjector.Cluster;

/// <summary>
/// Keeps <c>webhooks[*].clientConfig.caBundle</c> of one MutatingWebhookConfiguration equal to the
/// CA file (as Istio's webhook does for its own): at start, whenever the object changes (a watch,
/// so a re-apply that blanks it is mended at once), and when the CA file rotates. Patches only what
/// differs, with a JSON patch that first tests each webhook's name (a concurrent edit makes it fail
/// and the next event retries); a refused or failed patch is retried with backoff and logged with
/// the apiserver's reason.
/// </summary>
internal sealed partial class CaBundleSync(ApiClient api, string webhookConfigName, string caFile, ILogger logger) : IDisposable
{
    private const string Collection = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _reconciling = new(1, 1);
    private volatile V1MutatingWebhookConfiguration? _seen;
    private CancellationToken _cancel;
    private int _retryPending;
    private TimeSpan _retry = FirstRetry;

    public Task RunAsync(CancellationToken cancel)
    {
        _cancel = cancel;
        return new ListWatch<V1MutatingWebhookConfiguration>(api, Collection, "metadata.name=" + webhookConfigName, ClusterJson.Default.V1MutatingWebhookConfiguration,
            all => Seen(all.Count > 0 ? all[0] : null), (change, config) => Seen(change == WatchEvent.Deleted ? null : config), logger)
            .RunAsync(cancel);
    }

    public void Dispose() => _reconciling.Dispose();

    /// <summary>The CA file changed (its mount was updated): bring the object in line with it.</summary>
    public void CaFileChanged() => _ = ReconcileAsync();

    private void Seen(V1MutatingWebhookConfiguration? config)
    {
        _seen = config;
        if (config is null)
        {
            LogMissing(logger, webhookConfigName);
            return;
        }
        _ = ReconcileAsync();
    }

    private async Task ReconcileAsync()
    {
        await _reconciling.WaitAsync(_cancel).ConfigureAwait(false);
        try
        {
            if (_seen is not { } config)
            {
                return;
            }
            byte[] bundle;
            try
            {
                bundle = await File.ReadAllBytesAsync(caFile, _cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogNoCaFile(logger, caFile, e.Message);
                return;
            }
            if (bundle.Length == 0)
            {
                LogNoCaFile(logger, caFile, "the file is empty");
                return;
            }
            var patch = PatchFor(config, bundle, out var names);
            if (patch is null)
            {
                _retry = FirstRetry;
                return;
            }
            using var content = new StringContent(patch, Encoding.UTF8, "application/json-patch+json");
            using var response = await api.SendAsync(HttpMethod.Patch, $"{Collection}/{Uri.EscapeDataString(webhookConfigName)}", content, _cancel)
                .ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                // The apiserver answers with the object as patched: the next reconcile (the CA folder
                // changing, a watch event on its way) compares with that, not with what we patched.
                await using (var body = await response.Content.ReadAsStreamAsync(_cancel).ConfigureAwait(false))
                {
                    _seen = await JsonSerializer.DeserializeAsync(body, ClusterJson.Default.V1MutatingWebhookConfiguration, _cancel).ConfigureAwait(false) ?? _seen;
                }
                _retry = FirstRetry;
                LogPatched(logger, webhookConfigName, names);
                return;
            }
            var reason = ApiException.MessageOf(await response.Content.ReadAsStringAsync(_cancel).ConfigureAwait(false));
            if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                // The object changed under us: the watch brings the new one and we try again with it.
                LogConflict(logger, webhookConfigName, reason);
            }
            else
            {
                LogRefused(logger, webhookConfigName, (int)response.StatusCode, reason,
                    response.StatusCode == HttpStatusCode.Forbidden ? " (RBAC: the injector needs patch on this mutatingwebhookconfiguration)" : "");
            }
            ScheduleRetry();
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or OperationCanceledException)
        {
            LogRefused(logger, webhookConfigName, 0, e.Message, "");
            ScheduleRetry();
        }
        finally
        {
            _reconciling.Release();
        }
    }

    private void ScheduleRetry()
    {
        if (Interlocked.Exchange(ref _retryPending, 1) == 1)
        {
            return;
        }
        var delay = _retry;
        _retry = _retry * 2 > LastRetry ? LastRetry : _retry * 2;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, _cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Volatile.Write(ref _retryPending, 0);
            await ReconcileAsync().ConfigureAwait(false);
        });
    }

    /// <summary>The JSON patch that sets every webhook's caBundle to <paramref name="bundle"/>, or null when all have it.</summary>
    internal static string? PatchFor(V1MutatingWebhookConfiguration config, byte[] bundle, out string names)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            var changed = new List<string>();
            var webhooks = config.Webhooks ?? [];
            for (int i = 0; i < webhooks.Count; i++)
            {
                var webhook = webhooks[i];
                if (webhook.ClientConfig?.CaBundle is { } current && current.AsSpan().SequenceEqual(bundle))
                {
                    continue;
                }
                changed.Add(webhook.Name);
                writer.WriteStartObject();
                writer.WriteString("op", "test");
                writer.WriteString("path", $"/webhooks/{i}/name");
                writer.WriteString("value", webhook.Name);
                writer.WriteEndObject();
                writer.WriteStartObject();
                writer.WriteString("op", "add");
                writer.WriteString("path", $"/webhooks/{i}/clientConfig/caBundle");
                writer.WriteBase64String("value", bundle);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            names = string.Join(", ", changed);
            if (changed.Count == 0)
            {
                return null;
            }
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "caBundle of mutatingwebhookconfiguration {Name} set from the CA file for webhooks: {Webhooks}")]
    private static partial void LogPatched(ILogger logger, string name, string webhooks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "mutatingwebhookconfiguration {Name} does not exist (yet); its caBundle is set once it does")]
    private static partial void LogMissing(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cannot read the CA file {File} for the webhook's caBundle: {Reason}")]
    private static partial void LogNoCaFile(ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "mutatingwebhookconfiguration {Name} changed while its caBundle was patched ({Reason}); trying again")]
    private static partial void LogConflict(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cannot patch the caBundle of mutatingwebhookconfiguration {Name}: {Status} {Reason}{Hint}; retrying with backoff (the webhook keeps serving)")]
    private static partial void LogRefused(ILogger logger, string name, int status, string reason, string hint);
}
