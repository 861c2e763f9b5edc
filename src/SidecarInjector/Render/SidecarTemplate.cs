using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Render;

/// <summary>
/// One compiled injection template: parsed once per ConfigMap version, rendered per pod. A
/// template without actions is a constant Pod fragment, kept parsed; one with Go-template actions
/// renders YAML that is parsed and checked per pod.
/// </summary>
internal sealed class SidecarTemplate
{
    /// <summary>Renders remembered per template: pods of one workload render the same text (pod names and
    /// hash labels rarely reach the sidecar), and parsing the rendered YAML is most of a render's cost.
    /// Few slots: an entry (text and parsed tree) is tens of KB, and RSS matters more than old renders.</summary>
    private const int RenderedSlots = 16;

    private readonly GoTemplate? _template;
    private readonly JsonObject? _constant;
    private readonly InjectedNames? _constantNames;
    private readonly SharedFragments? _constantShared;
    private readonly Rendered?[] _rendered = new Rendered?[RenderedSlots];

    /// <summary>Renders by what they depend on (<see cref="RenderKey"/>): a pod whose key was seen is not rendered at all.</summary>
    private readonly RenderKey? _key;
    private readonly KeyedRender?[] _byKey = new KeyedRender?[RenderedSlots];

    /// <summary>Set when a render disagreed with the one kept under its key: keys are no longer used for this template.</summary>
    private volatile bool _keyDisagreed;
    private long _keyHits;

    /// <summary>Renders answered by their key, without running the template.</summary>
    public long KeyHits => Interlocked.Read(ref _keyHits);

    /// <summary>True once a render differed from the one kept under its key (keys are then off for this template).</summary>
    public bool KeyDisagreed => _keyDisagreed;

    /// <summary>True when this template's renders are kept by key (it reads what a key can say).</summary>
    public bool HasRenderKey => _key is not null;

    /// <summary>The key this template's renders are kept under (null: none); for tests of the key itself.</summary>
    internal RenderKey? Key => _key;

    /// <summary>
    /// A key and where its render is kept: the slot of the renders kept by text, and which render there
    /// (a render is kept once, by its text; a key holds no render alive, so keys add no memory but their
    /// bytes). The first pod to come with a key already kept is rendered all the same and compared
    /// (<see cref="Confirmed"/>): a dependence the key missed costs the keys of this template, never a
    /// wrong answer. Confirmed, it answers its key's pods without rendering while its render is kept.
    /// </summary>
    private sealed class KeyedRender(byte[] key, int textSlot, long serial)
    {
        public byte[] Key { get; } = key;
        public int TextSlot { get; } = textSlot;
        public long Serial { get; } = serial;
        public volatile bool Confirmed;
    }

    private static long s_serials;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_keyBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_keyScratch;

    /// <summary>A key buffer that grew past this (a pod with thousands of ports) is not kept.</summary>
    private const int KeptKeyBytes = 64 * 1024;

    /// <summary>Renders in a row the direct reader gave up on; at the limit, it is no longer tried.</summary>
    private int _readerGaveUp;
    private const int ReaderGiveUpLimit = 16;

    /// <summary>
    /// A rendered text and the fragment it parsed to. Its parts are shared (<see cref="SharedFragments"/>)
    /// once it has been used <see cref="UsesBeforeSharing"/> times: a Deployment's render is used by its
    /// first pod, its second and the sibling check before the memo answers the rest, and building the
    /// shared copy for those only adds memory that lives as long as the render is kept. Pods that the
    /// memo cannot share (a StatefulSet's, bare pods of one template) use a render again and again.
    /// </summary>
    private sealed class Rendered(string text, RenderedFragment fragment, int slot)
    {
        /// <summary>Which render this is (keys find it by slot and serial).</summary>
        public long Serial { get; } = Interlocked.Increment(ref s_serials);

        /// <summary>Its slot among the renders kept by text.</summary>
        public int Slot { get; } = slot;

        private const int UsesBeforeSharing = 3;

        private SharedFragments? _shared;
        private int _uses;

        public string Text { get; } = text;

        public RenderedFragment Reused()
        {
            var shared = Volatile.Read(ref _shared);
            if (shared is null)
            {
                if (Interlocked.Increment(ref _uses) < UsesBeforeSharing)
                {
                    return fragment;
                }
                shared = SharedFragments.Of(fragment.Fragment);
                Volatile.Write(ref _shared, shared);
            }
            return fragment with { Shared = shared };
        }

        public RenderedFragment First => fragment;

        private object? _compiled;

        /// <summary>What <paramref name="compile"/> makes of this render, made once and kept with it.</summary>
        public T Compiled<T>(Func<RenderedFragment, T> compile)
            where T : class
        {
            if (Volatile.Read(ref _compiled) is T known)
            {
                return known;
            }
            var made = compile(fragment);
            return Interlocked.CompareExchange(ref _compiled, made, null) as T ?? made;
        }
    }

    private SidecarTemplate(string name, GoTemplate? template, JsonObject? constant)
    {
        Name = name;
        _template = template;
        _key = template is null ? null : RenderKey.For(template.KeyReads);
        _constant = constant;
        _constantNames = constant is null ? null : InjectedNames.From(constant);
        // Shared by every pod on every thread: built in full before anyone reads it concurrently.
        JsonTrees.BuildAll(constant);
        _constantShared = constant is null ? null : SharedFragments.Of(constant);
    }

    public static SidecarTemplate Constant(string name, JsonObject fragment) => new(name, null, fragment);

    public static SidecarTemplate FromGoTemplate(string name, GoTemplate template) => new(name, template, null);

    public string Name { get; }

    /// <summary>What rendering may read of the template data (nothing for a constant template).</summary>
    public TemplateReads Reads => _template?.Reads ?? TemplateReads.Nothing;

    /// <summary>True when rendering needs the template data (the pod, values, mesh…).</summary>
    public bool NeedsData => _template is not null;

    /// <summary>The text a Go template renders for <paramref name="data"/> (null for a constant template): what tests read the reader's input from.</summary>
    internal string? RenderText(object? data) => _template?.Execute(data);

    /// <summary>
    /// Builders for renders, shared by all threads (one per core): a render whose text was seen before
    /// (pods of one workload) then makes no string, only a comparison. Not one per thread: kept builders
    /// of every thread-pool thread raised peak RSS by ~6 MiB under a stream of fresh pods.
    /// </summary>
    private static readonly StringBuilder?[] s_builders = new StringBuilder?[Environment.ProcessorCount];

    /// <summary>A builder that grew past this (a huge render) is not kept.</summary>
    private const int KeptOutputChars = 64 * 1024;

    private static StringBuilder TakeBuilder()
    {
        for (int i = 0; i < s_builders.Length; i++)
        {
            if (Interlocked.Exchange(ref s_builders[i], null) is { } builder)
            {
                return builder;
            }
        }
        return new StringBuilder(16 * 1024);
    }

    private static void ReturnBuilder(StringBuilder builder)
    {
        if (builder.Capacity > KeptOutputChars)
        {
            return;
        }
        for (int i = 0; i < s_builders.Length; i++)
        {
            if (Interlocked.CompareExchange(ref s_builders[i], builder, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>The Pod fragment for one pod, and what it injects. Callers must not mutate the fragment.</summary>
    /// <param name="data">The template data, built only when the template runs.</param>
    /// <param name="pod">The pod <paramref name="data"/> is built from, for the render's key (null: no key, the template runs).</param>
    /// <param name="inputs">The rest of what the data is built from.</param>
    public RenderedFragment Render(Func<object?> data, JsonObject? pod = null, in RenderInputs inputs = default)
    {
        if (_constant is not null)
        {
            return new(_constant, _constantNames!, _constantShared!);
        }
        if (pod is null || _key is null || _keyDisagreed)
        {
            return RenderNow(data).Fragment;
        }
        var keyBuffer = t_keyBuffer ??= new ArrayBufferWriter<byte>(1024);
        keyBuffer.ResetWrittenCount();
        _key.Write(keyBuffer, pod, inputs, t_keyScratch ??= new Utf8JsonWriter(keyBuffer));
        return RenderByKey(keyBuffer, data);
    }

    private object? _constantCompiled;

    /// <summary>
    /// What <paramref name="compile"/> makes of the render a pod's raw JSON has a confirmed key for, kept
    /// with the render; null when the key is unknown, not yet confirmed, or keys are off: the pod is then
    /// rendered the usual way, which keeps its key for the next. Nothing is rendered here.
    /// </summary>
    /// <param name="deploymentMeta">The pod's workload, read from the same JSON.</param>
    public T? CompiledByKey<T>(JsonElement pod, in RenderInputs inputs, (string Name, string Kind, string ApiVersion) deploymentMeta,
        Func<RenderedFragment, T> compile)
        where T : class
    {
        if (_constant is not null)
        {
            if (Volatile.Read(ref _constantCompiled) is T compiled)
            {
                return compiled;
            }
            var made = compile(new(_constant, _constantNames!, _constantShared!));
            return Interlocked.CompareExchange(ref _constantCompiled, made, null) as T ?? made;
        }
        if (_key is null || _keyDisagreed)
        {
            return null;
        }
        var keyBuffer = t_keyBuffer ??= new ArrayBufferWriter<byte>(1024);
        keyBuffer.ResetWrittenCount();
        _key.Write(keyBuffer, pod, inputs, deploymentMeta);
        var (known, keptRender) = Find(keyBuffer.WrittenSpan);
        ReleaseKeyBuffer(keyBuffer);
        if (known is not { Confirmed: true })
        {
            return null;
        }
        Interlocked.Increment(ref _keyHits);
        return keptRender!.Compiled(compile);
    }

    /// <summary>The render kept under <paramref name="key"/>, if it is still kept (a newer render may have taken its slot).</summary>
    private (KeyedRender? Known, Rendered? Render) Find(ReadOnlySpan<byte> key)
    {
        var known = Volatile.Read(ref _byKey[SlotOf(key)]);
        var keptRender = known is null ? null : Volatile.Read(ref _rendered[known.TextSlot]);
        return known is null || keptRender is null || keptRender.Serial != known.Serial || !key.SequenceEqual(known.Key)
            ? (null, null)
            : (known, keptRender);
    }

    private static int SlotOf(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return (hash.ToHashCode() & int.MaxValue) % RenderedSlots;
    }

    private RenderedFragment RenderByKey(ArrayBufferWriter<byte> keyBuffer, Func<object?> data)
    {
        var key = keyBuffer.WrittenSpan;
        int slot = SlotOf(key);
        var (known, keptRender) = Find(key);
        if (known is { Confirmed: true })
        {
            Interlocked.Increment(ref _keyHits);
            ReleaseKeyBuffer(keyBuffer);
            return keptRender!.Reused();
        }
        var (rendered, fragment) = RenderNow(data);
        if (known is null)
        {
            Volatile.Write(ref _byKey[slot], new KeyedRender(key.ToArray(), rendered.Slot, rendered.Serial));
        }
        else if (ReferenceEquals(rendered, keptRender) || rendered.Text == keptRender!.Text)
        {
            known.Confirmed = true;
        }
        else
        {
            // A dependence the key missed: a bug of ours, counted where operators look, and never repeated.
            _keyDisagreed = true;
            Metrics.InjectorMetrics.RenderKeyDisagreed(Name);
        }
        ReleaseKeyBuffer(keyBuffer);
        return fragment;
    }

    private static void ReleaseKeyBuffer(ArrayBufferWriter<byte> keyBuffer)
    {
        if (keyBuffer.Capacity > KeptKeyBytes)
        {
            t_keyBuffer = null;
            t_keyScratch = null;
        }
    }

    /// <summary>Runs the template: the render (kept by its text) and the fragment for this pod.</summary>
    private (Rendered Rendered, RenderedFragment Fragment) RenderNow(Func<object?> data)
    {
        var output = TakeBuilder();
        try
        {
            try
            {
                _template!.Execute(data(), output);
            }
            catch (TemplateError e)
            {
                throw new InjectionException($"template {Name}: {e.Message}");
            }
            return Remembered(output);
        }
        finally
        {
            ReturnBuilder(output);
        }
    }

    /// <summary>The fragment of a rendered text: remembered when the same text was rendered before, else parsed and remembered.</summary>
    private (Rendered Rendered, RenderedFragment Fragment) Remembered(StringBuilder output)
    {
        // One chunk when the builder had room (it keeps its capacity between renders): compared in place.
        ReadOnlySpan<char> rendered = default;
        bool inPlace = false;
        foreach (var chunk in output.GetChunks())
        {
            if (inPlace)
            {
                inPlace = false;
                break;
            }
            rendered = chunk.Span;
            inPlace = true;
        }
        string? text = null;
        if (!inPlace)
        {
            text = output.ToString();
            rendered = text;
        }
        int slot = (string.GetHashCode(rendered) & int.MaxValue) % RenderedSlots;
        if (Volatile.Read(ref _rendered[slot]) is { } seen && rendered.SequenceEqual(seen.Text))
        {
            return (seen, seen.Reused());
        }
        text ??= output.ToString();
        var fragment = Parse(text);
        var remembered = new Rendered(text, fragment, slot);
        Volatile.Write(ref _rendered[slot], remembered);
        return (remembered, remembered.First);
    }

    private RenderedFragment Parse(string text)
    {
        JsonNode? node;
        try
        {
            // Templates render a small part of YAML; read that directly, and anything else in full. A
            // template whose output the reader keeps giving up on is read in full from then on
            // (giving up costs an exception per pod).
            bool tryReader = Volatile.Read(ref _readerGaveUp) < ReaderGiveUpLimit;
            if (!tryReader || !BlockYamlReader.TryRead(text, out node))
            {
                if (tryReader)
                {
                    Interlocked.Increment(ref _readerGaveUp);
                }
                node = YamlDocument.Parse(text, $"output of template {Name}");
            }
            else if (_readerGaveUp != 0)
            {
                Volatile.Write(ref _readerGaveUp, 0);
            }
        }
        catch (ConfigException e)
        {
            throw new InjectionException($"template {Name} rendered invalid YAML: {e.Message}");
        }
        if (node is null)
        {
            return new([], InjectedNames.From([]), SharedFragments.None);
        }
        if (node is not JsonObject fragment)
        {
            throw new InjectionException($"template {Name} rendered a {JsonKinds.Name(node)}, not a Pod fragment");
        }
        try
        {
            TemplateCompiler.ValidatePodFragment(fragment, $"output of template {Name}");
        }
        catch (ConfigException e)
        {
            throw new InjectionException(e.Message);
        }
        var normalized = fragment;
        // Shared from now on by every pod that renders the same text, on any thread: build every node
        // now, so that later readers only read.
        JsonTrees.BuildAll(normalized);
        return new(normalized, InjectedNames.From(normalized), SharedFragments.None);
    }
}
