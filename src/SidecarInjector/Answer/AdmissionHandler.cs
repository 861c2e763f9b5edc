using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.Decide;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.Merge;
using SidecarInjector.Patch;
using SidecarInjector.Render;

namespace SidecarInjector.Answer;

/// <summary>
/// One AdmissionReview in, one AdmissionReview out, with no HTTP in sight: decode (1), read the
/// pod (2), decide, render and merge (3), write the patch (4), build and encode the response (5, 6).
/// </summary>
/// <param name="namespaces">
/// The Namespace object of a namespace name, when the injector can see the cluster (null when it
/// cannot): on OpenShift the proxy's uid and gid come from it.
/// </param>
/// <param name="nodes">
/// The cluster's nodes, when the injector watches them (ENABLE_NATIVE_SIDECARS=auto with a cluster;
/// null when it does not): whether a pod gets native sidecars. The function answers null until the first list.
/// </param>
internal sealed class AdmissionHandler(Func<ConfigSnapshot?> config, string revision, Func<string, JsonObject?>? namespaces = null,
    Func<NativeSidecarNodes?>? nodes = null)
{
    /// <summary>
    /// A pod with a key twice is a bad pod (as the apiserver's own decoder says), refused at parse: the
    /// tree would otherwise fail later, inside injection, as if the bug were ours.
    /// </summary>
    private static readonly JsonDocumentOptions PodParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private const string NotPodCreate = "not a pod CREATE";

    [ThreadStatic]
    private static JsonPatchWriter? t_patchWriter;

    [ThreadStatic]
    private static WorkloadKey? t_key;

    [ThreadStatic]
    private static PodProjection? t_projection;

    [ThreadStatic]
    private static Utf8JsonWriter? t_directWriter;

    /// <summary>Whether the last patch this thread wrote came from the direct path (the sibling check compares like with like).</summary>
    [ThreadStatic]
    private static bool t_wroteDirect;

    /// <summary>How the last patch this thread wrote was made (<see cref="Result.Path"/>).</summary>
    [ThreadStatic]
    private static string? t_path;

    /// <summary>The ways a patch is made, as <see cref="Result.Path"/> and the metrics name them.</summary>
    public const string MemoPath = "memo", DirectPath = "direct", ProjectionPath = "projection", MergePath = "merge";

    private long _direct;

    /// <summary>
    /// A pod (or projection) larger than this takes the other paths: its copy and its document's index come
    /// from the shared array pool, which would keep megabytes after a burst of huge pods.
    /// </summary>
    private const int DirectPodBytes = 256 * 1024;

    private readonly PerConfig<DirectSettings> _directSettings = new(DirectSettings.For);

    private long _projected;

    private readonly PerConfig<SiblingMasks> _masks = new(SiblingMasks.For);

    private readonly InjectionMemo _memo = new();

    private readonly SiblingReviews _siblingReviews = new();
    private readonly SiblingDigests _siblingDigests = new();
    private long _siblingReviewHits;
    private long _siblingDigestHits;

    /// <summary>
    /// Whether fresh pods are injected on their projection (<see cref="PodProjection"/>), falling back
    /// to the whole pod when it cannot be trusted. Off only to compare the two paths (the differential test).
    /// </summary>
    public bool ProjectFreshPods { get; init; } = true;

    /// <summary>
    /// Whether answers are remembered for the pod's siblings (<see cref="InjectionMemo"/>). Off only to
    /// measure the path of a pod seen for the first time (key, lookup, injection), review after review,
    /// on one handler: the benchmarks.
    /// </summary>
    public bool RememberAnswers { get; init; } = true;

    /// <summary>
    /// Whether renders are kept by what they depend on (<see cref="RenderKey"/>). Off only to compare with
    /// renders made afresh (the differential tests).
    /// </summary>
    public bool UseRenderKeys { get; init; } = true;

    /// <summary>
    /// Whether fresh pods are patched straight from their bytes when they can be (<see cref="DirectPatch"/>).
    /// Off only to compare with the merge (the differential tests).
    /// </summary>
    public bool DirectPatches { get; init; } = true;

    /// <summary>Fresh pods whose patch was written straight from their bytes.</summary>
    public long DirectInjections => Interlocked.Read(ref _direct);

    /// <summary>Fresh pods whose patch came from their projection.</summary>
    public long ProjectedInjections => Interlocked.Read(ref _projected);

    /// <summary>Reviews answered from the memo (their own or a sibling's answer), read or matched by their bytes.</summary>
    public long MemoHits => _memo.Hits + Interlocked.Read(ref _siblingReviewHits);

    /// <summary>Of <see cref="MemoHits"/>, the reviews answered from their bytes alone (<see cref="SiblingReviews"/> or <see cref="SiblingDigests"/>).</summary>
    public long SiblingReviewHits => Interlocked.Read(ref _siblingReviewHits);

    /// <summary>Of <see cref="SiblingReviewHits"/>, those answered by the digest of their bytes (<see cref="SiblingDigests"/>).</summary>
    public long SiblingDigestHits => Interlocked.Read(ref _siblingDigestHits);

    /// <summary>
    /// Bytes held by each table of remembered answers (<c>memo</c>, <c>sibling_reviews</c>, <c>sibling_digests</c>),
    /// as each table counts them (the memo and the digests against their budgets): what an operator weighs against the pod's memory.
    /// </summary>
    public (string Table, long Bytes)[] AnswerTableBytes() =>
        [("memo", _memo.Bytes), ("sibling_reviews", _siblingReviews.Bytes), ("sibling_digests", _siblingDigests.Bytes)];

    /// <summary>How the review ended, the rule that decided it, and for a denial, why.</summary>
    /// <param name="Path">How an injected pod's patch was made: <see cref="MemoPath"/>, <see cref="DirectPath"/>, <see cref="ProjectionPath"/> or <see cref="MergePath"/>.</param>
    /// <param name="Gzipped">The answer was written in gzip form (the client accepts it): sent with <c>Content-Encoding: gzip</c>.</param>
    public readonly record struct Result(InjectionOutcome Outcome, string? FailureReason, string? Message, string Rule, string Pod,
        AdmissionRequest Request, IReadOnlyList<string>? Warnings = null, string Path = "", bool Gzipped = false)
    {
        /// <summary>The request's uid as text (built only for a log line).</summary>
        public string Uid(ReadOnlySpan<byte> body) =>
            Request.EscapedUid ?? System.Text.Encoding.UTF8.GetString(body.Slice(Request.UidStart, Request.UidLength));
    }

    /// <summary>
    /// Handles one review body. Throws <see cref="AdmissionDecodeException"/> when the body is not an
    /// AdmissionReview (HTTP 400), and <see cref="NotReadyException"/> when no config is loaded (503).
    /// When the client <paramref name="acceptsGzip"/>, an answer kept in gzip form is written so (see
    /// <see cref="Result.Gzipped"/>); every other answer is plain JSON.
    /// </summary>
    public Result Handle(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, IBufferWriter<byte> output, bool acceptsGzip = false)
    {
        var snapshot = config();
        var key = t_key ??= new WorkloadKey();
        // The memo's key is read on the review's own pass. On OpenShift the answer depends on the Namespace
        // object too, which the key does not hold: no key, no memo.
        bool keyed = snapshot is not null && !(namespaces is not null && ClusterNamespace.IsOpenShift(snapshot.Settings.Environment));
        // Read once per review: the answer, and the memo entry it may come from, are for these nodes.
        var nodeView = snapshot is not null && nodes is not null && snapshot.Settings.NativeSidecarMode == NativeSidecarMode.Auto ? nodes() : null;
        if (keyed && RememberAnswers && AnswerFromBytes(body, path, snapshot!, nodeView, output, acceptsGzip, out bool gzipped) is { } sibling)
        {
            var same = sibling.Answer;
            return new(same.Outcome, same.FailureReason, same.Message, same.Rule, sibling.PodName, sibling.Request, same.Warnings, MemoPath, gzipped);
        }
        if (keyed)
        {
            key.Begin(_masks.For(snapshot!));
        }
        var request = AdmissionReviewReader.Read(body, keyed ? key : null);
        if (!request.IsPodCreate || request.ObjectLength == 0)
        {
            AdmissionResponseWriter.WriteAllowed(output, request, body, null);
            return new(InjectionOutcome.Skipped, null, null, NotPodCreate, "", request);
        }
        if (snapshot is null)
        {
            throw new NotReadyException();
        }

        var pod = body.Slice(request.ObjectStart, request.ObjectLength);
        CachedAnswer answer;
        string podName;
        t_path = MergePath;
        // A pod the key's reader cannot follow goes the full way, whose parser says what is wrong.
        if (!keyed || !key.Finish(pod))
        {
            answer = Decide(snapshot, nodeView, request, pod, path);
            podName = answer.Pod;
        }
        else
        {
            podName = key.PodName;
            int hash = InjectionMemo.HashOf(key.Digest, request.Namespace, path);
            var remembered = _memo.Find(hash, snapshot, nodeView, request.Namespace, path, key.Digest);
            if (remembered is not null)
            {
                answer = remembered;
                t_path = MemoPath;
                if (RememberAnswers)
                {
                    // The next sibling is then answered from its bytes.
                    RememberForSiblings(body, path, snapshot, nodeView, request, key, podName, answer);
                }
            }
            else
            {
                answer = Decide(snapshot, nodeView, request, pod, path, key.Layout);
                bool direct = t_wroteDirect;
                var madeBy = t_path;
                if (RememberAnswers && _memo.Admits(hash, key.Digest.Length, answer)
                    && SiblingsShare(snapshot, nodeView, request, pod, path, key, answer, direct))
                {
                    _memo.Remember(hash, snapshot, nodeView, request.Namespace, path, key.Digest, answer);
                }
                t_path = madeBy;
            }
        }
        AdmissionResponseWriter.Write(output, request, body, answer);
        // A fresh answer's patch is borrowed (the memo keeps copies): its buffer goes back now. The
        // memo's own answers are never borrowed.
        answer.Patch?.Release();
        return new(answer.Outcome, answer.FailureReason, answer.Message, answer.Rule, podName, request, answer.Warnings, t_path ?? MergePath);
    }

    /// <summary>The answer a remembered sibling gives the review, by its bytes (<see cref="SiblingReviews"/>) or their digest (<see cref="SiblingDigests"/>).</summary>
    private SiblingAnswer? AnswerFromBytes(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot snapshot, NativeSidecarNodes? nodeView,
        IBufferWriter<byte> output, bool acceptsGzip, out bool gzipped)
    {
        var sibling = _siblingReviews.TryAnswer(body, path, snapshot, nodeView, output, acceptsGzip, out gzipped);
        if (sibling is null)
        {
            sibling = _siblingDigests.TryAnswer(body, path, snapshot, nodeView, output, acceptsGzip, out gzipped);
            if (sibling is null)
            {
                return null;
            }
            Interlocked.Increment(ref _siblingDigestHits);
        }
        Interlocked.Increment(ref _siblingReviewHits);
        return sibling;
    }

    /// <summary>
    /// Keeps a review the memo answered for its siblings: its bytes while its rollout goes on
    /// (<see cref="SiblingReviews"/>), their digest for longer (<see cref="SiblingDigests"/>).
    /// </summary>
    private void RememberForSiblings(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot snapshot, NativeSidecarNodes? nodeView,
        in AdmissionRequest request, WorkloadKey key, string podName, CachedAnswer answer)
    {
        // Preparing costs a deflate: not for a review neither would keep.
        if (!_siblingReviews.Takes(body.Length, path) && !_siblingDigests.Takes(body.Length, path))
        {
            return;
        }
        using var response = new PooledBufferWriter(16 * 1024);
        if (SiblingAnswer.Prepare(body, request, key, podName, answer, response, out int responseUidAt) is { } sibling)
        {
            _siblingReviews.Remember(body, path, snapshot, nodeView, sibling, response.WrittenSpan, responseUidAt);
            _siblingDigests.Remember(body, path, snapshot, nodeView, sibling);
        }
    }

    /// <summary>
    /// Before an answer is shared by the pod's siblings, the pod is answered again with every value
    /// the key left out changed: the answers must agree. The masks come from reading the templates;
    /// this checks them on the pod itself (once per key kept), so a dependence the reading missed
    /// costs sharing, never a wrong answer. The sibling's patch is written the way the pod's was (direct
    /// or merged), so that equal answers are equal bytes.
    /// </summary>
    private bool SiblingsShare(ConfigSnapshot snapshot, NativeSidecarNodes? nodeView, in AdmissionRequest request, ReadOnlySpan<byte> pod,
        ReadOnlySpan<char> path, WorkloadKey key, CachedAnswer answer, bool direct)
    {
        if (key.MaskedCount == 0)
        {
            return true;
        }
        var sibling = Decide(snapshot, nodeView, request, key.Perturbed(pod), path, direct: direct);
        try
        {
            return t_wroteDirect == direct
                && sibling.Outcome == answer.Outcome
                && sibling.FailureReason == answer.FailureReason
                && sibling.Message == answer.Message
                && sibling.Rule == answer.Rule
                && StoredPatch.SameBytes(sibling.Patch, answer.Patch)
                && (sibling.Warnings ?? []).SequenceEqual(answer.Warnings ?? []);
        }
        finally
        {
            sibling.Patch?.Release();
        }
    }

    /// <param name="layout">Where the pod's facts are, when the key's pass found them (else <see cref="PodLayout.Unknown"/>).</param>
    /// <param name="direct">False: not on the direct path (true or null: wherever the pod can go). <see cref="t_wroteDirect"/> says where it went.</param>
    private CachedAnswer Decide(ConfigSnapshot snapshot, NativeSidecarNodes? nodeView, in AdmissionRequest request, ReadOnlySpan<byte> pod,
        ReadOnlySpan<char> path, PodLayout layout = default, bool? direct = null)
    {
        t_wroteDirect = false;
        t_path = MergePath;
        PodFacts? facts = null;
        string rule = "pod fields";
        try
        {
            facts = PodFactsReader.Read(pod, request.Namespace, layout);
            var verdict = InjectionDecision.Decide(snapshot.Policy, snapshot.NeverInjectSelector, snapshot.AlwaysInjectSelector, facts);
            rule = verdict.Describe();
            if (!verdict.Inject)
            {
                return new CachedAnswer(InjectionOutcome.Skipped, null, null, null, rule, facts.Name);
            }
            using var patch = new PooledBufferWriter(16 * 1024);
            List<string>? warnings = null;
            int operations = WritePatch(snapshot, nodeView, pod, request.Namespace, path, patch, ref warnings, direct != false);
            return operations == 0
                ? new CachedAnswer(InjectionOutcome.Skipped, null, null, null, rule + "; already injected, nothing to change", facts.Name, warnings)
                : new CachedAnswer(InjectionOutcome.Injected, null, null, StoredPatch.Borrow(patch), rule, facts.Name, warnings);
        }
        catch (InjectionException e)
        {
            return new CachedAnswer(InjectionOutcome.Denied, "injection_error", "sidecar injection failed: " + e.Message, null, rule, facts?.Name ?? "");
        }
        catch (JsonException e)
        {
            return new CachedAnswer(InjectionOutcome.Denied, "pod_decode_error", "sidecar injection failed: the pod is not valid JSON: " + e.Message, null,
                rule, facts?.Name ?? "");
        }
    }

    private int WritePatch(ConfigSnapshot snapshot, NativeSidecarNodes? nodeView, ReadOnlySpan<byte> podBytes, string ns, ReadOnlySpan<char> path,
        PooledBufferWriter patch, ref List<string>? warnings, bool mayGoDirect)
    {
        bool direct = mayGoDirect && DirectPatches;
        var projection = t_projection ??= new PodProjection();
        // One pass checks the pod's field types and leaves its bulk out (a container's 2,000 env vars), for
        // either path below; a pod with no bulk is checked by itself.
        bool projected = (direct || ProjectFreshPods) && projection.Build(podBytes, PrunableFields.For(snapshot));
        if (direct)
        {
            bool typesFit = projected || projection.TypesChecked || PodShape.Fits(podBytes);
            if (typesFit && TryWriteDirectPatch(snapshot, nodeView, projected ? projection.Bytes : podBytes, ns, path, patch) is int operations)
            {
                Interlocked.Increment(ref _direct);
                t_wroteDirect = true;
                t_path = DirectPath;
                return operations;
            }
        }
        if (ProjectFreshPods && projected)
        {
            if (TryWriteProjectedPatch(snapshot, nodeView, projection, ns, path, patch, ref warnings) is int written)
            {
                Interlocked.Increment(ref _projected);
                t_path = ProjectionPath;
                return written;
            }
            patch.Clear();
            warnings = null;
        }
        var pod = JsonNode.Parse(podBytes, documentOptions: PodParseOptions) as JsonObject
            ?? throw new InjectionException("the object is not a JSON object");
        // Checked while the pod is still raw JSON: one pass over its bytes, no nodes built.
        PodShape.Check(pod);
        return WritePatch(snapshot, nodeView, pod, ns, path, patch, ref warnings, out _);
    }

    /// <summary>
    /// The direct path: the pod's bytes read in place (a pooled copy, no tree), its sidecar's render found
    /// by key and compiled once (<see cref="SidecarPlan"/>), the patch written from both. Null when the pod
    /// is not one it takes (nothing is then written): the next path answers it.
    /// </summary>
    /// <param name="podBytes">
    /// The pod, its field types checked: as it came, or its projection (<see cref="PodProjection"/>: the
    /// direct path reads none of what a projection leaves out, and a placeholder in the patch sends the pod on).
    /// </param>
    private int? TryWriteDirectPatch(ConfigSnapshot snapshot, NativeSidecarNodes? nodeView, ReadOnlySpan<byte> podBytes, string ns,
        ReadOnlySpan<char> path, PooledBufferWriter patch)
    {
        var settings = _directSettings.For(snapshot);
        if (settings.Template is null || namespaces is not null && ClusterNamespace.IsOpenShift(snapshot.Settings.Environment)
            || InjectPathParameters.Parse(path).Count > 0 || podBytes.Length > DirectPodBytes)
        {
            return null;
        }
        var copy = ArrayPool<byte>.Shared.Rent(podBytes.Length);
        try
        {
            podBytes.CopyTo(copy);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(copy.AsMemory(0, podBytes.Length), PodParseOptions);
            }
            catch (JsonException)
            {
                return null;
            }
            using (document)
            {
                var pod = document.RootElement;
                if (pod.ValueKind != JsonValueKind.Object || !UseRenderKeys)
                {
                    return null;
                }
                string? nodeName = pod.TryGetProperty("spec"u8, out var spec) && spec.ValueKind == JsonValueKind.Object
                    && spec.TryGetProperty("nodeName"u8, out var node) && node.ValueKind == JsonValueKind.String ? node.GetString() : null;
                var inputs = new RenderInputs(ns, revision, ProxyIds.Default, nodeView?.For(nodeName) ?? snapshot.Settings.NativeSidecars, null);
                var writer = t_directWriter;
                if (writer is null)
                {
                    writer = new Utf8JsonWriter(patch);
                    t_directWriter = writer;
                }
                else
                {
                    writer.Reset(patch);
                }
                try
                {
                    var operations = DirectPatch.TryWrite(pod, settings, inputs, writer);
                    if (operations is not null && PodProjection.Leaked(patch.WrittenSpan))
                    {
                        patch.Clear();
                        return null;
                    }
                    return operations;
                }
                finally
                {
                    writer.Reset(Stream.Null);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// The fresh path on the pod's projection (<see cref="PodProjection"/>): the same injection on a
    /// tree without the pod's bulk. Null when its patch cannot be trusted for the pod (a template's
    /// container merged into one with pruned fields, a pruned value copied or moved) or when the pod is
    /// refused: the whole pod is then injected, and says why in its own words.
    /// </summary>
    private int? TryWriteProjectedPatch(ConfigSnapshot snapshot, NativeSidecarNodes? nodeView, PodProjection projection, string ns,
        ReadOnlySpan<char> path, PooledBufferWriter patch, ref List<string>? warnings)
    {
        try
        {
            var pod = JsonNode.Parse(projection.Bytes, documentOptions: PodParseOptions) as JsonObject;
            if (pod is null)
            {
                return null;
            }
            // The whole pod's field types, pruned values included, were checked by the projection's pass.
            int operations = WritePatch(snapshot, nodeView, pod, ns, path, patch, ref warnings, out var injected);
            return projection.Collides(injected) || PodProjection.Leaked(patch.WrittenSpan) || PodProjection.Leaked(warnings)
                ? null
                : operations;
        }
        catch (InjectionException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private int WritePatch(ConfigSnapshot snapshot, NativeSidecarNodes? nodeView, JsonObject pod, string ns, ReadOnlySpan<char> path,
        PooledBufferWriter patch, ref List<string>? warnings, out InjectedNames injectedNames)
    {
        // Istio drops managedFields before diffing: they are large and never touched by injection.
        (pod["metadata"] as JsonObject)?.Remove("managedFields");

        var found = new List<string>();
        var cluster = namespaces is null ? null : new ClusterNamespace(namespaces(ns));
        // A pod the scheduler has not placed yet (nearly all at CREATE) gets what every node can run.
        bool? nativeSidecars = nodeView?.For(pod["spec"]?["nodeName"] is JsonValue node && node.TryGetValue<string>(out var nodeName) ? nodeName : null);
        var (injected, names) = PodInjector.Inject(snapshot, pod, ns, revision, InjectPathParameters.Parse(path), warnings: found,
            cluster: cluster, nativeSidecars: nativeSidecars, renderKeys: UseRenderKeys);
        warnings = found.Count > 0 ? found : null;
        injectedNames = names;

        var patchWriter = t_patchWriter ??= new JsonPatchWriter();
        using var writer = new Utf8JsonWriter(patch);
        patchWriter.WriteDiff(pod, injected, writer);
        return patchWriter.OperationCount;
    }
}
