using System.Buffers;
using System.Text.Json;
using SidecarInjector.Decode;

namespace SidecarInjector.Answer;

/// <summary>Steps 5 and 6: the AdmissionResponse, in the request's own version, with its uid.</summary>
internal static class AdmissionResponseWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = true };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes the answer for <paramref name="answer"/>; only uid and version come from the request.</summary>
    public static void Write(IBufferWriter<byte> output, in AdmissionRequest request, ReadOnlySpan<byte> body, CachedAnswer answer)
    {
        if (answer.Outcome == InjectionOutcome.Denied)
        {
            WriteDenied(output, request, body, 400, "BadRequest", answer.Message ?? "sidecar injection failed");
        }
        else
        {
            WriteAllowed(output, request, body, answer.Patch, answer.Warnings);
        }
    }

    /// <summary>An allowed answer, with <paramref name="patch"/> when there is one.</summary>
    public static void WriteAllowed(IBufferWriter<byte> output, in AdmissionRequest request, ReadOnlySpan<byte> body, StoredPatch? patch,
        IReadOnlyList<string>? warnings = null)
    {
        var writer = Rent(output);
        WriteStart(writer, request, body);
        writer.WriteBoolean("allowed"u8, true);
        if (patch is not null)
        {
            writer.WriteString("patchType"u8, "JSONPatch"u8);
            var bytes = patch.Bytes(out var rented);
            writer.WriteBase64String("patch"u8, bytes);
            StoredPatch.Return(rented);
        }
        if (warnings is not null)
        {
            writer.WriteStartArray("warnings"u8);
            for (int i = 0; i < warnings.Count; i++)
            {
                writer.WriteStringValue(warnings[i]);
            }
            writer.WriteEndArray();
        }
        WriteEnd(writer);
    }

    public static void WriteDenied(IBufferWriter<byte> output, in AdmissionRequest request, ReadOnlySpan<byte> body, int code, string reason, string message)
    {
        var writer = Rent(output);
        WriteStart(writer, request, body);
        writer.WriteBoolean("allowed"u8, false);
        writer.WriteStartObject("status"u8);
        writer.WriteStartObject("metadata"u8);
        writer.WriteEndObject();
        writer.WriteString("status"u8, "Failure"u8);
        writer.WriteString("message"u8, message);
        writer.WriteString("reason"u8, reason);
        writer.WriteNumber("code"u8, code);
        writer.WriteEndObject();
        WriteEnd(writer);
    }

    private static Utf8JsonWriter Rent(IBufferWriter<byte> output)
    {
        var writer = t_writer;
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output, WriterOptions);
            t_writer = writer;
        }
        else
        {
            writer.Reset(output);
        }
        return writer;
    }

    private static void WriteStart(Utf8JsonWriter writer, in AdmissionRequest request, ReadOnlySpan<byte> body)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion"u8, request.Version == ReviewVersion.V1 ? "admission.k8s.io/v1"u8 : "admission.k8s.io/v1beta1"u8);
        writer.WriteString("kind"u8, "AdmissionReview"u8);
        writer.WriteStartObject("response"u8);
        if (request.EscapedUid is { } uid)
        {
            writer.WriteString("uid"u8, uid);
        }
        else
        {
            writer.WriteString("uid"u8, body.Slice(request.UidStart, request.UidLength));
        }
    }

    private static void WriteEnd(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }
}
