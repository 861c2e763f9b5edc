using System.Text;
using SidecarInjector.Answer;
using SidecarInjector.CommandLine;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Robustness;

/// <summary>
/// Mutation fuzzing of the two decoders users feed: AdmissionReviews (the webhook) and multi-document
/// YAML (kube-inject). Whatever the bytes, the answer is a result or the documented error, never
/// another exception (which the webhook would turn into a 500 and the CLI into a crash).
/// A fixed seed keeps every failure reproducible; the failing input is printed.
/// </summary>
public sealed class MutatedInputTests
{
    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u00", "null", "true", "-1", "1e999", "0.5", " ", "\n",
        "\"metadata\":", "\"spec\":", "\"containers\":[", "\"env\":", "{\"name\":1}", "\"\"", "é", "\u2028",
        "- ", "---\n", "  ", "&a ", "*a", "!!str ", "? ", "|\n", ">-\n", "#", "'", "%YAML 1.2\n", "~",
    ];

    private static string Mutate(Random random, string text)
    {
        var result = new StringBuilder(text);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits && result.Length > 0; e++)
        {
            int at = random.Next(result.Length);
            switch (random.Next(4))
            {
                case 0:
                    result.Remove(at, Math.Min(1 + random.Next(8), result.Length - at));
                    break;
                case 1:
                    result.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2:
                    result[at] = Fragments[random.Next(Fragments.Length)][0];
                    break;
                default:
                    int length = Math.Min(1 + random.Next(40), result.Length - at);
                    result.Insert(random.Next(result.Length), result.ToString(at, length));
                    break;
            }
        }
        return result.ToString();
    }

    [Fact]
    public void The_webhook_answers_every_mutated_review_or_rejects_it_as_a_bad_request()
    {
        var random = new Random(424242);
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        var original = Reviews.Review(Reviews.SamplePod());
        for (int round = 0; round < 3000; round++)
        {
            var review = Mutate(random, original);
            using var output = new PooledBufferWriter();
            try
            {
                handler.Handle(Encoding.UTF8.GetBytes(review), "/inject", output);
                AssertIsTheAnswerTo(review, Reviews.Utf8(output.WrittenSpan), round);
            }
            catch (AdmissionDecodeException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"round {round}: {e.GetType().Name}: {e.Message}\n{review}");
            }
        }
    }

    /// <summary>
    /// An answer is a real AdmissionReview for this request: its uid (when the mutated request still
    /// has one a JSON reader can find), a patch only with allowed, and a patch that applies to the pod.
    /// </summary>
    private static void AssertIsTheAnswerTo(string review, string answerJson, int round)
    {
        var answer = Reviews.Parse(answerJson);
        System.Text.Json.Nodes.JsonNode? request = null;
        try
        {
            using var strict = System.Text.Json.JsonDocument.Parse(review, new System.Text.Json.JsonDocumentOptions { AllowDuplicateProperties = false });
            request = System.Text.Json.Nodes.JsonNode.Parse(review)?["request"];
        }
        catch (System.Text.Json.JsonException)
        {
            // The handler's reader accepted what a strict reader does not (a key twice): uid unchecked.
        }
        if (request?["uid"] is System.Text.Json.Nodes.JsonValue uid && uid.TryGetValue<string>(out var expected))
        {
            Assert.True(expected == answer.Uid, $"round {round}: answer uid '{answer.Uid}', request uid '{expected}'");
        }
        Assert.True(answer.Allowed || answer.Patch is null, $"round {round}: a denial carries a patch");
        if (answer.Patch is not null && request?["object"] is System.Text.Json.Nodes.JsonObject pod)
        {
            // The apiserver applies the patch to the object it sent; it must apply.
            var patched = IndependentJsonPatch.Apply(pod.ToJsonString(), answer.Patch);
            Assert.Contains("istio-proxy", patched, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Kube_inject_injects_every_mutated_manifest_or_says_why()
    {
        var random = new Random(808080);
        const string manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels: {app: web}
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                  annotations:
                    proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'
                spec:
                  containers:
                  - name: web
                    image: nginx
                    ports:
                    - containerPort: 8080
                    env:
                    - name: A
                      value: "1"
                    readinessProbe:
                      httpGet: {path: /ready, port: 8080}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - port: 80
            """;
        for (int round = 0; round < 1500; round++)
        {
            var yaml = Mutate(random, manifest);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int exit;
            try
            {
                exit = InjectCommand.Run(["-f", "-"], new StringReader(yaml), stdout, stderr);
            }
            catch (Exception e)
            {
                Assert.Fail($"round {round}: {e.GetType().Name}: {e.Message}\n{yaml}");
                return;
            }
            Assert.True(exit is 0 or 1, $"round {round}: exit {exit}");
            Assert.True(exit == 0 || stderr.ToString().Length > 0, $"round {round}: failed without saying why");
        }
    }
}
