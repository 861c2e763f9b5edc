using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.KubeInject;
using SidecarInjector.Tests.Support;
using Xunit.Abstractions;

namespace SidecarInjector.Tests.Conformance;

/// <summary>
/// Istio's golden corpus through our injector, each comparison its own test (name one with
/// --filter "DisplayName~hello-probes"). The ones that do not pass yet are listed, each with a
/// reason, in known-failures.txt, so the count can only go up: an unlisted failure fails its test,
/// and so does a listed case that now passes.
/// </summary>
public sealed class IstioConformanceTests(ITestOutputHelper output)
{
    private static readonly string KnownFailuresFile = Path.Combine(Paths.RepositoryRoot, "tests", "SidecarInjector.Tests", "Conformance", "known-failures.txt");

    private static readonly IstioCorpus[] Corpora = IstioCorpus.Extra is { } x ? [x] : [IstioCorpus.December, IstioCorpus.Head];

    /// <summary>Each kube-inject comparison of both corpora, as its own test ("CORPUS kube-inject INDEX INPUT").</summary>
    public static TheoryData<string> KubeInjectCases()
    {
        var keys = new TheoryData<string>();
        foreach (var corpus in Corpora)
        {
            foreach (var c in corpus.Cases())
            {
                if (!c!["skipKubeInject"]!.GetValue<bool>())
                {
                    keys.Add($"{corpus.Name} kube-inject {c["index"]} {c["in"]}");
                }
            }
        }
        return keys;
    }

    /// <summary>Each webhook comparison of both corpora, as its own test ("CORPUS webhook INDEX INPUT"; all the input's pods).</summary>
    public static TheoryData<string> WebhookCases()
    {
        var keys = new TheoryData<string>();
        foreach (var corpus in Corpora)
        {
            foreach (var c in corpus.Cases())
            {
                if (!c!["skipWebhook"]!.GetValue<bool>() && c["expectedError"] is null)
                {
                    keys.Add($"{corpus.Name} webhook {c["index"]} {c["in"]}");
                }
            }
        }
        return keys;
    }

    [Theory]
    [MemberData(nameof(KubeInjectCases))]
    public void Kube_inject_output_is_istios_golden_output(string key)
    {
        var (corpus, c) = CaseOf(key);
        Expect(key, RunKubeInject(corpus, c));
    }

    [Theory]
    [MemberData(nameof(WebhookCases))]
    public void Webhook_patched_pod_is_istios_golden_pod(string key)
    {
        var (corpus, c) = CaseOf(key);
        var (total, passed, reason) = RunWebhook(corpus, c);
        Expect(key, (passed == total, $"{passed}/{total} pods equal; {reason}"));
    }

    /// <summary>
    /// The figures for the corpus as a whole (written to istio-conformance.txt for CI's log), and the
    /// known-failures file checked for entries that name no case. Each case is also its own test above.
    /// </summary>
    [Fact]
    public void Corpus_summary()
    {
        var results = new List<(string Key, bool Passed, string Reason)>();
        var lines = new List<string>();
        foreach (var corpus in Corpora)
        {
            int webhookTotal = 0, webhookPassed = 0, kubeInjectTotal = 0, kubeInjectPassed = 0;
            foreach (var key in KeysOf(KubeInjectCases()))
            {
                var (of, c) = CaseOf(key);
                if (of != corpus)
                {
                    continue;
                }
                var (ok, why) = RunKubeInject(corpus, c);
                kubeInjectTotal++;
                kubeInjectPassed += ok ? 1 : 0;
                results.Add((key, ok, why));
            }
            foreach (var key in KeysOf(WebhookCases()))
            {
                var (of, c) = CaseOf(key);
                if (of != corpus)
                {
                    continue;
                }
                var (total, passed, reason) = RunWebhook(corpus, c);
                webhookTotal += total;
                webhookPassed += passed;
                results.Add((key, passed == total, reason));
            }
            lines.Add($"istio-conformance {corpus.Name}: {kubeInjectPassed}/{kubeInjectTotal} kube-inject, {webhookPassed}/{webhookTotal} webhook");
        }
        var summary = string.Join("\n", lines);
        output.WriteLine(summary);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "istio-conformance.txt"), summary + "\n");
        if (Environment.GetEnvironmentVariable("CONFORMANCE_WRITE_KNOWN") == "1")
        {
            WriteKnownFailures(results);
        }
        var stale = ReadKnownFailures().Keys.Where(k => !results.Exists(r => r.Key == k)).ToList();
        Assert.True(stale.Count == 0, "known-failures.txt names no such case: " + string.Join(", ", stale));
    }

    /// <summary>A listed case must still fail (the list only shrinks); any other case must pass.</summary>
    private static void Expect(string key, (bool Passed, string Reason) result)
    {
        if (ReadKnownFailures().TryGetValue(key, out var why))
        {
            Assert.False(result.Passed, $"{key} now passes: remove it from known-failures.txt (it said: {why})");
        }
        else
        {
            Assert.True(result.Passed, $"{key}: {result.Reason}");
        }
    }

    private static (IstioCorpus Corpus, JsonObject Case) CaseOf(string key)
    {
        var parts = key.Split(' ');
        var corpus = IstioCorpus.Named(parts[0]);
        return (corpus, corpus.Case(int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static IEnumerable<string> KeysOf(TheoryData<string> data)
    {
        foreach (var row in data)
        {
            yield return row;
        }
    }

    /// <summary>The whole input through kube-inject, compared as text with the golden file (Istio's StripVersion first).</summary>
    private static (bool Passed, string Reason) RunKubeInject(IstioCorpus corpus, JsonObject c)
    {
        var expectedError = c["expectedError"]?.GetValue<string>();
        var expectedLog = c["expectedLog"]?.GetValue<string>();
        try
        {
            var config = corpus.Settings(c);
            var warnings = new List<string>();
            var output = ManifestInjector.Run(corpus.Document(c["in"]!.GetValue<string>()), config, warnings);
            if (expectedError is not null)
            {
                return (false, "expected an error containing " + expectedError);
            }
            if (expectedLog is not null)
            {
                return warnings.Exists(w => w.Contains(expectedLog, StringComparison.Ordinal))
                    ? (true, "")
                    : (false, "no warning contains " + expectedLog + "; got " + OneLine(string.Join(" | ", warnings)));
            }
            var want = corpus.Document(c["want"]!.GetValue<string>()).Trim();
            if (corpus == IstioCorpus.December)
            {
                // Written by Kubernetes' Go types before 1.34, which wrote a zero creationTimestamp as
                // null; today's (and so we) leave it out. Nothing else in the text changes.
                want = System.Text.RegularExpressions.Regex.Replace(want, @"^( *)metadata:\n\1  creationTimestamp: null\n(?!\1  )", "$1metadata: {}\n",
                    System.Text.RegularExpressions.RegexOptions.Multiline);
                want = System.Text.RegularExpressions.Regex.Replace(want, @"^ *creationTimestamp: null\n", "", System.Text.RegularExpressions.RegexOptions.Multiline);
            }
            var got = StripVersion(output).Trim();
            if (got == want)
            {
                return (true, "");
            }
            int line = 1, at = 0;
            while (at < Math.Min(got.Length, want.Length) && got[at] == want[at])
            {
                if (got[at] == '\n')
                {
                    line++;
                }
                at++;
            }
            var gotLine = got[got.LastIndexOf('\n', Math.Max(0, Math.Min(at, got.Length - 1)))..].Split('\n', 3);
            var wantLine = want[want.LastIndexOf('\n', Math.Max(0, Math.Min(at, want.Length - 1)))..].Split('\n', 3);
            return (false, $"text differs at line {line}: got \"{OneLine(gotLine.Length > 1 ? gotLine[1] : "")}\", want \"{OneLine(wantLine.Length > 1 ? wantLine[1] : "")}\"");
        }
        catch (Exception e) when (e is InjectionException or ConfigException)
        {
            return expectedError is not null && e.Message.Contains(expectedError, StringComparison.OrdinalIgnoreCase)
                ? (true, "")
                : (false, "error: " + OneLine(e.Message));
        }
    }

    /// <summary>Istio's util.StripVersion: blank a hex version at the start of the status annotation.</summary>
    private static string StripVersion(string yaml) => System.Text.RegularExpressions.Regex.Replace(yaml,
        "sidecar.istio.io/status: '\\{\"version\":\"([0-9a-f]+)\",", "sidecar.istio.io/status: '{\"version\":\"\",");

    /// <summary>Each pod of the input through a real AdmissionReview; the patched pod against the golden pod.</summary>
    /// <summary>
    /// One webhook case: each of its pods through the handler and compared with the golden pod. The
    /// handler sees the namespaces <paramref name="namespaces"/> gives (default: the case's one
    /// Namespace object, as Istio's test gives its webhook).
    /// </summary>
    internal static (int Total, int Passed, string Reason) RunWebhook(IstioCorpus corpus, JsonObject c, Func<string, JsonObject?>? namespaces = null)
    {
        ConfigSnapshot config;
        try
        {
            config = corpus.Settings(c);
        }
        catch (Exception e)
        {
            var pods = IstioCorpus.Pods(corpus.Document(c["in"]!.GetValue<string>())).Count;
            return (pods, 0, "settings do not load: " + OneLine(e.Message));
        }
        var inputs = IstioCorpus.Pods(corpus.Document(c["in"]!.GetValue<string>()));
        var wants = IstioCorpus.Pods(corpus.Document(c["want"]!.GetValue<string>()));
        if (inputs.Count != wants.Count)
        {
            return (inputs.Count, 0, $"input has {inputs.Count} pods, golden {wants.Count}");
        }
        // Istio's test gives its webhook a cluster holding one Namespace (OpenShift's uid range on it).
        var namespaceObject = c["namespaceObject"] as JsonObject;
        var handler = new AdmissionHandler(() => config, "default",
            namespaces ?? (name => namespaceObject is not null && namespaceObject["metadata"]?["name"]?.ToString() == name ? namespaceObject : null));
        int passed = 0;
        string reason = "";
        for (int i = 0; i < inputs.Count; i++)
        {
            var pod = inputs[i];
            var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? "";
            using var outputBuffer = new PooledBufferWriter();
            try
            {
                handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: ns)), "/inject", outputBuffer);
                var answer = Reviews.Parse(Reviews.Utf8(outputBuffer.WrittenSpan));
                if (!answer.Allowed)
                {
                    reason = "denied: " + OneLine(answer.Message ?? "");
                    continue;
                }
                var got = PodComparison.Normalize(Reviews.Patched(pod, answer));
                var want = PodComparison.Normalize(wants[i]);
                var difference = FirstDifference(want, got, "");
                if (difference is null)
                {
                    passed++;
                }
                else
                {
                    reason = "differs at " + difference;
                }
            }
            catch (Exception e)
            {
                reason = e.GetType().Name + ": " + OneLine(e.Message);
            }
        }
        return (inputs.Count, passed, reason);
    }

    private static string? FirstDifference(JsonNode? want, JsonNode? got, string path)
    {
        switch (want, got)
        {
            case (JsonObject w, JsonObject g):
                foreach (var (k, v) in w)
                {
                    if (!g.ContainsKey(k))
                    {
                        return $"{path}.{k} (missing)";
                    }
                    if (FirstDifference(v, g[k], $"{path}.{k}") is { } d)
                    {
                        return d;
                    }
                }
                foreach (var (k, _) in g)
                {
                    if (!w.ContainsKey(k))
                    {
                        return $"{path}.{k} (unexpected)";
                    }
                }
                return null;
            case (JsonArray w, JsonArray g):
                for (int i = 0; i < Math.Min(w.Count, g.Count); i++)
                {
                    if (FirstDifference(w[i], g[i], $"{path}[{i}]") is { } d)
                    {
                        return d;
                    }
                }
                return w.Count == g.Count ? null : $"{path} (length {g.Count}, want {w.Count})";
            default:
                return JsonNode.DeepEquals(want, got) ? null : $"{path} (got {Short(got)}, want {Short(want)})";
        }
    }

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    private static string OneLine(string s)
    {
        var line = s.Replace('\n', ' ');
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    private static Dictionary<string, string> ReadKnownFailures()
    {
        var known = new Dictionary<string, string>();
        if (!File.Exists(KnownFailuresFile))
        {
            return known;
        }
        foreach (var line in File.ReadAllLines(KnownFailuresFile))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            int colon = line.IndexOf(" : ", StringComparison.Ordinal);
            known[colon < 0 ? line.Trim() : line[..colon].Trim()] = colon < 0 ? "" : line[(colon + 3)..];
        }
        return known;
    }

    private static void WriteKnownFailures(List<(string Key, bool Passed, string Reason)> results)
    {
        var text = new StringBuilder();
        text.AppendLine("# Istio corpus cases that do not pass yet, one per line: \"corpus path index input : reason\".");
        text.AppendLine("# IstioConformanceTests fails on a failure missing here and on a listed case that passes.");
        text.AppendLine("# Regenerate after fixing: CONFORMANCE_WRITE_KNOWN=1 dotnet test webhook.sln --filter Corpus_summary");
        foreach (var (key, passed, reason) in results)
        {
            if (!passed)
            {
                text.Append(key).Append(" : ").AppendLine(reason);
            }
        }
        File.WriteAllText(KnownFailuresFile, text.ToString());
    }
}
