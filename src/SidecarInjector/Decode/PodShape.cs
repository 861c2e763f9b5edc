using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.Json;

namespace SidecarInjector.Decode;

/// <summary>
/// Checks that the parts of a pod the injection reads, copies or writes next to have the JSON types
/// core/v1 gives them (<see cref="PodFieldTypes"/> lists them), so that a wrongly typed field
/// (<c>containerPort: eighty</c>, <c>cpu: lots</c>, <c>hostNetwork: "yes"</c>, an env list that is a
/// map) is refused with its path, the same way on both paths: the webhook denies the pod, kube-inject
/// names the document. Fields the injection never touches are left to the apiserver's validation.
/// </summary>
/// <remarks>
/// The check reads the pod's raw JSON (<see cref="JsonRaw"/>) before any node is built, so the
/// webhook's hot path pays one pass over the bytes and no allocation unless a field is wrong.
/// </remarks>
internal static class PodShape
{
    /// <summary>Throws <see cref="InjectionException"/> naming the first field with the wrong type.</summary>
    public static void Check(JsonObject pod)
    {
        if (JsonRaw.Of(pod) is { } raw)
        {
            Check(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(raw));
            return;
        }
        // A pod already read (or a runtime that hides raw JSON): check its JSON text, off the hot path.
        Check(System.Text.Encoding.UTF8.GetBytes(pod.ToJsonString()));
    }

    /// <summary>The pod's own bytes (the decision's reader, on its cold path).</summary>
    public static void Check(ReadOnlySpan<byte> pod)
    {
        // The common case, a pod that fits, in one pass of a reader; the message for one that does
        // not comes from the same rules on the parsed pod.
        if (Fits(pod))
        {
            return;
        }
        var reader = new Utf8JsonReader(pod, AdmissionReviewReader.Options);
        using var document = JsonDocument.ParseValue(ref reader);
        Check(document.RootElement);
    }

    internal static bool Fits(ReadOnlySpan<byte> pod)
    {
        try
        {
            var reader = new Utf8JsonReader(pod, AdmissionReviewReader.Options);
            return reader.Read() && PodFieldTypes.Pod.Fits(ref reader);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static void Check(JsonElement pod)
    {
        try
        {
            PodFieldTypes.Pod.Check(pod);
        }
        catch (PodFieldTypes.Violation violation)
        {
            Throw.BadPod($"pod field {violation.Path} must be {violation.Expected}{Shown(violation.Value)}");
        }
    }

    /// <summary>The offending value, short, so the user can find it.</summary>
    private static string Shown(JsonElement value)
    {
        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
        {
            return value.ValueKind switch
            {
                JsonValueKind.Object => ", not a mapping",
                JsonValueKind.Array => ", not a list",
                _ => "",
            };
        }
        var text = value.GetRawText();
        return ", not " + (text.Length > 40 ? text[..40] + "…" : text);
    }
}
