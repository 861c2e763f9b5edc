using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Json;

namespace SidecarInjector.Tests.Support;

/// <summary>What the differential tests share: a review through a handler, and two answers held to the same outcome and the same pod.</summary>
internal static class Differential
{
    /// <summary>How many random pods a differential test checks: the variable's value (CI sets 100,000), 10,000 by default.</summary>
    public static int PodCount(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : 10_000;

    /// <summary>The default config and both Istio corpora's default templates, loaded once.</summary>
    public static ConfigSnapshot[] Configs => LoadedConfigs.Value;

    private static readonly Lazy<ConfigSnapshot[]> LoadedConfigs =
        new(() => [InProcess.DefaultConfig, Conformance.IstioCorpus.Head.DefaultSettings(), Conformance.IstioCorpus.December.DefaultSettings()]);

    /// <summary>Both Istio corpora, by name, for the tests that run every webhook case.</summary>
    public static TheoryData<string> Corpora() => new(Conformance.IstioCorpus.December.Name, Conformance.IstioCorpus.Head.Name);

    /// <summary>A webhook pod of an Istio corpus case, with the case's config and namespace.</summary>
    public readonly record struct CorpusPod(ConfigSnapshot Config, JsonObject Pod, string Namespace, string What);

    /// <summary>Every pod of every case of <paramref name="corpusName"/> that runs through the webhook.</summary>
    public static IEnumerable<CorpusPod> CorpusWebhookPods(string corpusName)
    {
        var corpus = Conformance.IstioCorpus.Named(corpusName);
        foreach (var c in corpus.Cases())
        {
            if (c!["skipWebhook"]!.GetValue<bool>())
            {
                continue;
            }
            var config = corpus.Settings(c.AsObject());
            foreach (var pod in Conformance.IstioCorpus.Pods(corpus.Document(c["in"]!.GetValue<string>())))
            {
                var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? "default";
                yield return new CorpusPod(config, pod, ns, $"{corpus.Name} case {c["index"]} {c["in"]}");
            }
        }
    }

    /// <summary>The review of <paramref name="pod"/> as the differential tests send it.</summary>
    public static byte[] Review(JsonObject pod, string ns) => System.Text.Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: ns, uid: "u"));

    /// <summary>The reference answer: the whole pod merged, its sidecar rendered afresh, no shortcut taken.</summary>
    public static Reviews.Answer Merged(ConfigSnapshot config, byte[] review) =>
        Send(new AdmissionHandler(() => config, "default") { ProjectFreshPods = false, UseRenderKeys = false, DirectPatches = false }, review);

    public static Reviews.Answer Send(AdmissionHandler handler, byte[] review)
    {
        using var output = new PooledBufferWriter();
        handler.Handle(review, "/inject", output);
        return Reviews.Parse(Reviews.Utf8(output.WrittenSpan));
    }

    /// <summary>
    /// Both allowed or both denied with the same message, both patches applied to <paramref name="pod"/> by an
    /// independent RFC 6902 implementation giving equal pods, and the same warnings.
    /// </summary>
    public static void AssertSameOutcome(JsonObject pod, Reviews.Answer reference, Reviews.Answer actual, string what)
    {
        Assert.True(reference.Allowed == actual.Allowed && reference.Message == actual.Message,
            $"{what}: allowed/message differ: {reference.Allowed} {reference.Message} vs {actual.Allowed} {actual.Message}\n{pod.ToJsonString()}");
        var expected = Reviews.Patched(pod, reference).ToJsonString();
        var patched = Reviews.Patched(pod, actual).ToJsonString();
        Assert.True(IndependentJsonPatch.SameJson(expected, patched), $"{what}: patched pods differ\npod: {pod.ToJsonString()}\nreference: {expected}\nactual: {patched}");
        Assert.Equal(reference.Warnings ?? [], actual.Warnings ?? []);
    }
}
