using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.Decision;
using SidecarInjector.Injection;
using SidecarInjector.Patch;

namespace SidecarInjector.Admission;

/// <summary>
/// One AdmissionReview in, one AdmissionReview out, with no HTTP in sight: decode (1), read the
/// pod (2), decide, render and merge (3), write the patch (4), build and encode the response (5, 6).
/// </summary>
internal sealed class AdmissionHandler(Func<ConfigSnapshot?> config, string revision)
{
    private static readonly JsonDocumentOptions PodParseOptions = new() { MaxDepth = 64 };

    [ThreadStatic]
    private static JsonPatchWriter? t_patchWriter;

    /// <summary>Why the last call was denied; a metrics label.</summary>
    public readonly record struct Result(InjectionOutcome Outcome, string? FailureReason, string? Message);

    /// <summary>
    /// Handles one review body. Throws <see cref="AdmissionDecodeException"/> when the body is not an
    /// AdmissionReview (HTTP 400), and <see cref="NotReadyException"/> when no config is loaded (503).
    /// </summary>
    public Result Handle(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, IBufferWriter<byte> output)
    {
        var request = AdmissionReviewReader.Read(body);
        if (!request.IsPodCreate || request.ObjectLength == 0)
        {
            AdmissionResponseWriter.WriteAllowed(output, request, default);
            return new(InjectionOutcome.Skipped, null, null);
        }

        var snapshot = config() ?? throw new NotReadyException();
        var pod = body.Slice(request.ObjectStart, request.ObjectLength);
        try
        {
            var facts = PodFactsReader.Read(pod, request.Namespace);
            if (!InjectionDecision.IsRequired(snapshot.Policy, snapshot.NeverInjectSelector, snapshot.AlwaysInjectSelector, facts))
            {
                AdmissionResponseWriter.WriteAllowed(output, request, default);
                return new(InjectionOutcome.Skipped, null, null);
            }

            using var patch = new PooledBufferWriter(16 * 1024);
            int operations = WritePatch(snapshot, pod, path, patch);
            AdmissionResponseWriter.WriteAllowed(output, request, operations == 0 ? default : patch.WrittenSpan);
            return new(operations == 0 ? InjectionOutcome.Skipped : InjectionOutcome.Injected, null, null);
        }
        catch (InjectionException e)
        {
            var message = "sidecar injection failed: " + e.Message;
            AdmissionResponseWriter.WriteDenied(output, request, 400, "BadRequest", message);
            return new(InjectionOutcome.Denied, "injection_error", message);
        }
        catch (JsonException e)
        {
            var message = "sidecar injection failed: the pod is not valid JSON: " + e.Message;
            AdmissionResponseWriter.WriteDenied(output, request, 400, "BadRequest", message);
            return new(InjectionOutcome.Denied, "pod_decode_error", message);
        }
    }

    private int WritePatch(ConfigSnapshot snapshot, ReadOnlySpan<byte> podBytes, ReadOnlySpan<char> path, PooledBufferWriter patch)
    {
        var pod = JsonNode.Parse(podBytes, documentOptions: PodParseOptions) as JsonObject
            ?? throw new InjectionException("the object is not a JSON object");
        // Istio drops managedFields before diffing: they are large and never touched by injection.
        (pod["metadata"] as JsonObject)?.Remove("managedFields");

        var injected = PodInjector.Inject(snapshot, pod, revision, InjectPathParameters.Parse(path));

        var patchWriter = t_patchWriter ??= new JsonPatchWriter();
        using var writer = new Utf8JsonWriter(patch);
        patchWriter.WriteDiff(pod, injected, writer);
        return patchWriter.OperationCount;
    }
}

/// <summary>No valid config has loaded yet: the webhook answers 503 so failurePolicy decides.</summary>
internal sealed class NotReadyException() : Exception("the injector has no valid config loaded yet");
