using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using SidecarInjector.Answer;
using SidecarInjector.CommandLine;
using SidecarInjector.Configuration;
using SidecarInjector.Decide;
using SidecarInjector.Decode;
using SidecarInjector.Json;

namespace SidecarInjector.Benchmarks;

/// <summary>
/// The admission pipeline without HTTP, on the realistic sample pod and on Istio's benchmark
/// shape (a container with 2000 env vars). The baseline is decoding the review and answering
/// "allowed" with no injection work, measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class AdmissionBenchmarks
{
    private readonly ConfigSnapshot _config = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());
    private readonly PooledBufferWriter _output = new(64 * 1024);
    private byte[] _sample = [];
    private byte[] _skipped = [];
    private byte[] _manyEnv = [];
    private byte[][] _newWorkloads = [];
    private int _nextWorkload;
    private AdmissionHandler _memoized = null!;
    private AdmissionHandler _forgetful = null!;
    private AdmissionHandler _forgetfulIstio = null!;
    private ConfigSnapshot? _istio;

    [GlobalSetup]
    public void Setup()
    {
        _sample = Encoding.UTF8.GetBytes(SampleReview.Build(v1beta1: false));
        var skipped = JsonNode.Parse(_sample)!;
        skipped["request"]!["object"]!["metadata"]!["labels"]!["sidecar.istio.io/inject"] = "false";
        _skipped = Encoding.UTF8.GetBytes(skipped.ToJsonString());
        var many = JsonNode.Parse(_sample)!;
        var env = many["request"]!["object"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        for (int i = 0; i < 2000; i++)
        {
            env.Add((JsonNode)new JsonObject { ["name"] = "VAR_" + i, ["value"] = "value-" + i });
        }
        _manyEnv = Encoding.UTF8.GetBytes(many.ToJsonString());
        // Pods of 64 workloads (their own app label and container name): more than the renders a
        // template keeps (16), so each review renders, parses and shares its sidecar afresh.
        _newWorkloads = new byte[64][];
        for (int i = 0; i < _newWorkloads.Length; i++)
        {
            var workload = JsonNode.Parse(_sample)!;
            var pod = workload["request"]!["object"]!;
            pod["metadata"]!["labels"]!["app"] = "shop-" + i;
            pod["spec"]!["containers"]![0]!["name"] = "shop-" + i;
            _newWorkloads[i] = Encoding.UTF8.GetBytes(workload.ToJsonString());
        }
        _memoized = new AdmissionHandler(() => _config, "default");
        _memoized.Handle(_sample, "/inject", _output);
        _istio = IstioDefaultConfig();
        // One handler that keeps no answer: every review takes a first pod's path (key, lookup, injection),
        // and what is measured is that path alone, not a new handler's own state.
        _forgetful = new AdmissionHandler(() => _config, "default") { RememberAnswers = false };
        _forgetfulIstio = new AdmissionHandler(() => _istio, "default") { RememberAnswers = false };
    }

    /// <summary>Istio's own default injection config (a 1,800-line Go template), from the corpus vendored under tests/testdata.</summary>
    private static ConfigSnapshot? IstioDefaultConfig()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "webhook.sln")))
        {
            dir = dir.Parent;
        }
        var inputs = dir is null ? null : Path.Combine(dir.FullName, "tests", "testdata", "istio-inject", "inputs");
        if (inputs is null || !Directory.Exists(inputs))
        {
            return null;
        }
        byte[] Read(string kind) => File.ReadAllBytes(Path.Combine(inputs, $"default.{kind}.gen.yaml"));
        return ConfigLoader.Load(new ConfigLoader.ConfigFiles("istio", Read("template"), Read("values"), Read("mesh")));
    }

    [Benchmark(Baseline = true, Description = "decode + allowed, no injection (skip)")]
    public int Skip() => Run(_forgetful, _skipped);

    [Benchmark(Description = "inject sample pod (memo hit)")]
    public int InjectMemoHit() => Run(_memoized, _sample);

    /// <summary>
    /// The memo keeps nothing, but what the pod's render depends on was seen (<c>RenderKey</c>): the path of
    /// a new ReplicaSet's first pod, of a StatefulSet's or a Job's pods. A pod with nothing seen is the next one.
    /// </summary>
    [Benchmark(Description = "inject sample pod (fresh)")]
    public int InjectFresh() => Run(_forgetful, _sample);

    [Benchmark(Description = "inject a new workload's pod (fresh, its sidecar rendered afresh)")]
    public int InjectNewWorkload() => Run(_forgetful, _newWorkloads[_nextWorkload++ % _newWorkloads.Length]);

    [Benchmark(Description = "inject 2000-env-var pod (fresh)")]
    public int InjectManyEnv() => Run(_forgetful, _manyEnv);

    [Benchmark(Description = "inject sample pod with Istio's sidecar template (fresh)")]
    public int InjectIstioTemplate() => _istio is null ? 0 : Run(_forgetfulIstio, _sample);

    private int Run(AdmissionHandler handler, byte[] body)
    {
        _output.Clear();
        handler.Handle(body, "/inject", _output);
        return _output.WrittenCount;
    }
}
