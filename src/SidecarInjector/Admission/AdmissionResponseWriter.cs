using System.Buffers;
using System.Text.Json;

namespace SidecarInjector.Admission;

/// <summary>Steps 5 and 6: the AdmissionResponse, in the request's own version, with its uid.</summary>
internal static class AdmissionResponseWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = true };

    public static void WriteAllowed(IBufferWriter<byte> output, AdmissionRequest request, ReadOnlySpan<byte> patch)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteStart(writer, request);
        writer.WriteBoolean("allowed"u8, true);
        if (!patch.IsEmpty)
        {
            writer.WriteString("patchType"u8, "JSONPatch"u8);
            writer.WriteBase64String("patch"u8, patch);
        }
        WriteEnd(writer);
    }

    public static void WriteDenied(IBufferWriter<byte> output, AdmissionRequest request, int code, string reason, string message)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteStart(writer, request);
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

    private static void WriteStart(Utf8JsonWriter writer, AdmissionRequest request)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion"u8, request.Version == ReviewVersion.V1 ? "admission.k8s.io/v1"u8 : "admission.k8s.io/v1beta1"u8);
        writer.WriteString("kind"u8, "AdmissionReview"u8);
        writer.WriteStartObject("response"u8);
        writer.WriteString("uid"u8, request.Uid);
    }

    private static void WriteEnd(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }
}
