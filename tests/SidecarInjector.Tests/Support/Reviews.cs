using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Configuration;

namespace SidecarInjector.Tests.Support;

/// <summary>Builds AdmissionReviews the way the apiserver sends them, and reads the answers.</summary>
internal static class Reviews
{
    /// <summary>The realistic Deployment pod from the sample review (defaulted, generateName, token volume).</summary>
    public static JsonObject SamplePod() =>
        JsonNode.Parse(SampleReview.Build(v1beta1: false))!["request"]!["object"]!.DeepClone().AsObject();

    public static string Review(JsonObject pod, string version = "v1", string operation = "CREATE", string? ns = null,
        string kind = "Pod", string group = "", string? uid = null)
    {
        var review = new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/" + version,
            ["request"] = new JsonObject
            {
                ["uid"] = uid ?? Guid.NewGuid().ToString(),
                ["kind"] = new JsonObject { ["group"] = group, ["version"] = "v1", ["kind"] = kind },
                ["resource"] = new JsonObject { ["group"] = group, ["version"] = "v1", ["resource"] = kind.ToLowerInvariant() + "s" },
                ["namespace"] = ns ?? pod["metadata"]?["namespace"]?.GetValue<string>() ?? "default",
                ["operation"] = operation,
                ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller" },
                ["object"] = pod.DeepClone(),
                ["oldObject"] = null,
                ["dryRun"] = false,
                ["options"] = new JsonObject { ["kind"] = "CreateOptions", ["apiVersion"] = "meta.k8s.io/v1" },
            },
        };
        return review.ToJsonString();
    }

    public sealed record Answer(string ApiVersion, string Uid, bool Allowed, byte[]? Patch, string? PatchType, string? Message, int? Code,
        IReadOnlyList<string>? Warnings = null);

    public static Answer Parse(string responseJson)
    {
        using var doc = JsonDocument.Parse(responseJson);
        var root = doc.RootElement;
        Assert.Equal("AdmissionReview", root.GetProperty("kind").GetString());
        var response = root.GetProperty("response");
        byte[]? patch = response.TryGetProperty("patch", out var p) ? p.GetBytesFromBase64() : null;
        string? patchType = response.TryGetProperty("patchType", out var t) ? t.GetString() : null;
        string? message = null;
        int? code = null;
        if (response.TryGetProperty("status", out var status))
        {
            message = status.TryGetProperty("message", out var m) ? m.GetString() : null;
            code = status.TryGetProperty("code", out var c) ? c.GetInt32() : null;
        }
        // The apiserver's own rule: a patch needs a patchType and the reverse.
        Assert.Equal(patch is null, patchType is null);
        List<string>? warnings = null;
        if (response.TryGetProperty("warnings", out var w))
        {
            warnings = [.. w.EnumerateArray().Select(x => x.GetString()!)];
        }
        return new Answer(root.GetProperty("apiVersion").GetString()!, response.GetProperty("uid").GetString()!,
            response.GetProperty("allowed").GetBoolean(), patch, patchType, message, code, warnings);
    }

    /// <summary>Applies an answer's patch (if any) to the pod with the independent implementation.</summary>
    public static JsonObject Patched(JsonObject pod, Answer answer)
    {
        var json = pod.ToJsonString();
        if (answer.Patch is not null)
        {
            json = IndependentJsonPatch.Apply(json, answer.Patch);
        }
        return JsonNode.Parse(json)!.AsObject();
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
