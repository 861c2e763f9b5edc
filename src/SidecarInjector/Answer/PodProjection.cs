using System.Text;
using System.Text.Json;
using SidecarInjector.Decode;
using SidecarInjector.Json;
using SidecarInjector.Render;

namespace SidecarInjector.Answer;

/// <summary>
/// The pod as the fresh path needs it: its bytes with every value <see cref="PrunableFields"/> allows
/// cut to a short placeholder string (unique per value, <c>"\u0001"</c> and a number), and its
/// managedFields emptied (injection drops them anyway). One <see cref="Utf8JsonReader"/> pass; the tree
/// built from the result is a fraction of the pod's (a container's 2,000 env vars become one string),
/// and every array keeps its length and order, so a patch written against the projection addresses
/// the pod itself.
/// </summary>
/// <remarks>
/// A patch from the projection is right for the pod when injection neither read a pruned value nor
/// moved one: what <see cref="PrunableFields"/> is chosen for, and what <see cref="Collides"/> (a
/// template's container or volume merged into one with pruned fields) and <see cref="Leaked"/> (a
/// placeholder written into the patch: a pruned value copied or moved) check on each pod. When either
/// fails, the caller injects the whole pod instead.
/// </remarks>
internal sealed class PodProjection : IDisposable
{
    private static ReadOnlySpan<byte> StatusAnnotation => "sidecar.istio.io/status"u8;

    /// <summary>How a placeholder starts, as it is written in JSON; "u0001" is in it however many times it is escaped again.</summary>
    private static ReadOnlySpan<byte> PlaceholderStart => "\"\\u0001"u8;
    private static ReadOnlySpan<byte> LeakSign => "u0001"u8;

    private readonly PooledBufferWriter _bytes = new(8 * 1024);

    /// <summary>Values cut, in the order they come: start and length in the pod; length -1 empties managedFields.</summary>
    private readonly List<(int Start, int Length, bool Empty)> _cuts = [];

    private readonly List<string> _containerNames = [];
    private readonly List<string> _volumeNames = [];
    private PrunableFields _fields = null!;
    private bool _previousInjection;

    public void Dispose() => _bytes.Dispose();

    /// <summary>The projected pod built by the last successful <see cref="Build"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.WrittenSpan;

    /// <summary>
    /// True when the last <see cref="Build"/> found a field of the wrong JSON type (<see cref="PodFieldTypes"/>):
    /// the pass that projects a pod also checks its types, so a projection that was built needs no other check.
    /// </summary>
    public bool Misfit { get; private set; }

    /// <summary>
    /// True when the last <see cref="Build"/> read the whole pod and found every field of the right type,
    /// whether or not it built a projection (a pod with nothing to leave out needs no other check).
    /// </summary>
    public bool TypesChecked { get; private set; }

    /// <summary>Names of the pod's containers (any list) with a pruned field.</summary>
    public IReadOnlyList<string> PrunedContainers => _containerNames;

    /// <summary>Names of the pod's volumes with a pruned source.</summary>
    public IReadOnlyList<string> PrunedVolumes => _volumeNames;

    /// <summary>
    /// Projects <paramref name="pod"/>. False when there is nothing to gain or the projection cannot be
    /// trusted: nothing prunable, a previous injection (re-injection reads the old proxy's env and the
    /// pod's recorded overrides), a field of the wrong JSON type (<see cref="Misfit"/>), or JSON the
    /// reader cannot follow (the full path's checks then say what is wrong).
    /// </summary>
    public bool Build(ReadOnlySpan<byte> pod, PrunableFields fields)
    {
        _bytes.Clear();
        _cuts.Clear();
        _containerNames.Clear();
        _volumeNames.Clear();
        _previousInjection = false;
        Misfit = false;
        TypesChecked = false;
        _fields = fields;
        if (fields.None)
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(pod, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            ReadPod(ref reader);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (MisfitException)
        {
            Misfit = true;
            return false;
        }
        TypesChecked = true;
        if (_previousInjection || _cuts.Count == 0)
        {
            return false;
        }
        Span<byte> number = stackalloc byte[16];
        int from = 0, index = 0;
        foreach (var (start, length, empty) in _cuts)
        {
            _bytes.Write(pod[from..start]);
            if (empty)
            {
                _bytes.Write("[]"u8);
            }
            else
            {
                _bytes.Write(PlaceholderStart);
                index++;
                index.TryFormat(number, out int written, provider: System.Globalization.CultureInfo.InvariantCulture);
                _bytes.Write(number[..written]);
                _bytes.Write("\""u8);
            }
            from = start + length;
        }
        _bytes.Write(pod[from..]);
        return true;
    }

    /// <summary>True when a template injects a container or volume that the pod has with pruned fields (they would merge).</summary>
    public bool Collides(InjectedNames injected)
    {
        foreach (var name in _containerNames)
        {
            if (Contains(injected.Containers, name) || Contains(injected.InitContainers, name))
            {
                return true;
            }
        }
        foreach (var name in _volumeNames)
        {
            if (Contains(injected.Volumes, name))
            {
                return true;
            }
        }
        return false;

        static bool Contains(IReadOnlyList<string> names, string name)
        {
            for (int i = 0; i < names.Count; i++)
            {
                if (names[i] == name)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>True when a placeholder reached <paramref name="written"/> (a patch, or a warning's UTF-8): a pruned value was copied or moved.</summary>
    public static bool Leaked(ReadOnlySpan<byte> written) => written.IndexOf(LeakSign) >= 0;

    /// <summary>True when a placeholder reached one of <paramref name="texts"/>.</summary>
    public static bool Leaked(IReadOnlyList<string>? texts)
    {
        if (texts is null)
        {
            return false;
        }
        foreach (var text in texts)
        {
            if (text.Contains('\u0001', StringComparison.Ordinal) || text.Contains("u0001", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A value of the wrong JSON type for its field: the pod is left whole, whose check names the field.</summary>
    private sealed class MisfitException : Exception;

    /// <summary>
    /// Passes the value the reader is on, checking its JSON type against <paramref name="shape"/> (the one
    /// table, <see cref="PodFieldTypes"/>) when the field has one: the projection's pass is also the pod's
    /// type check, so a fresh pod is read once for both.
    /// </summary>
    private static void Fit(ref Utf8JsonReader reader, PodFieldTypes.Shape? shape)
    {
        if (shape is null)
        {
            reader.Skip();
        }
        else if (!shape.Fits(ref reader))
        {
            throw new MisfitException();
        }
    }

    private void ReadPod(ref Utf8JsonReader reader)
    {
        var podShape = PodFieldTypes.Pod;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool plain = !reader.ValueIsEscaped;
            var name = reader.ValueSpan;
            bool metadata = plain && name.SequenceEqual("metadata"u8);
            bool spec = plain && name.SequenceEqual("spec"u8);
            var shape = podShape.FieldOf(ref reader);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject && metadata)
            {
                ReadMetadata(ref reader, shape);
            }
            else if (reader.TokenType == JsonTokenType.StartObject && spec)
            {
                ReadSpec(ref reader, shape);
            }
            else
            {
                Fit(ref reader, shape);
            }
        }
    }

    private void ReadMetadata(ref Utf8JsonReader reader, PodFieldTypes.Shape? metadataShape)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // An escaped name may still decode to one of these: such a pod is left whole.
            if (reader.ValueIsEscaped)
            {
                _previousInjection = true;
            }
            var name = reader.ValueSpan;
            bool annotations = name.SequenceEqual("annotations"u8);
            bool managedFields = name.SequenceEqual("managedFields"u8);
            var shape = metadataShape?.FieldOf(ref reader);
            reader.Read();
            if (annotations && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueIsEscaped || reader.ValueSpan.SequenceEqual(StatusAnnotation))
                    {
                        _previousInjection = true;
                    }
                    var valueShape = shape?.FieldOf(ref reader);
                    reader.Read();
                    Fit(ref reader, valueShape);
                }
            }
            else if (managedFields && reader.TokenType == JsonTokenType.StartArray)
            {
                int start = (int)reader.TokenStartIndex;
                Fit(ref reader, shape);
                _cuts.Add((start, (int)reader.BytesConsumed - start, true));
            }
            else
            {
                Fit(ref reader, shape);
            }
        }
    }

    private void ReadSpec(ref Utf8JsonReader reader, PodFieldTypes.Shape? specShape)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool plain = !reader.ValueIsEscaped;
            var name = reader.ValueSpan;
            bool containers = plain && (name.SequenceEqual("containers"u8) || name.SequenceEqual("initContainers"u8)
                || name.SequenceEqual("ephemeralContainers"u8));
            bool volumes = plain && _fields.VolumeSources && name.SequenceEqual("volumes"u8);
            var shape = specShape?.FieldOf(ref reader);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartArray && (containers || volumes))
            {
                var itemShape = shape?.Items;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadItem(ref reader, containers, itemShape);
                    }
                    else
                    {
                        Fit(ref reader, itemShape);
                    }
                }
            }
            else
            {
                Fit(ref reader, shape);
            }
        }
    }

    /// <summary>
    /// One container (or volume): its prunable values are cut when it has a plain string name, which
    /// is what a template's container or volume would merge with (<see cref="Collides"/>).
    /// </summary>
    private void ReadItem(ref Utf8JsonReader reader, bool container, PodFieldTypes.Shape? itemShape)
    {
        int firstCut = _cuts.Count;
        string? itemName = null;
        bool escapedName = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool plain = !reader.ValueIsEscaped;
            var field = reader.ValueSpan;
            bool isName = plain && field.SequenceEqual("name"u8);
            escapedName |= !plain;
            bool prunable = plain && !isName && (!container || _fields.IsPrunableContainerField(field));
            var shape = itemShape?.FieldOf(ref reader);
            reader.Read();
            if (isName && reader.TokenType == JsonTokenType.String)
            {
                itemName = reader.GetString();
            }
            else if (prunable && NonEmpty(ref reader))
            {
                int start = (int)reader.TokenStartIndex;
                Fit(ref reader, shape);
                _cuts.Add((start, (int)reader.BytesConsumed - start, false));
            }
            else
            {
                Fit(ref reader, shape);
            }
        }
        if (_cuts.Count == firstCut)
        {
            return;
        }
        // Only items known by a plain name are cut: an escaped field name may be "name" itself.
        if (itemName is null || escapedName)
        {
            _cuts.RemoveRange(firstCut, _cuts.Count - firstCut);
            return;
        }
        (container ? _containerNames : _volumeNames).Add(itemName);
    }

    /// <summary>
    /// A non-empty list or map: a placeholder string keeps its truth (templates may test a value they
    /// do not otherwise read), which an empty one would not.
    /// </summary>
    private static bool NonEmpty(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            return false;
        }
        var copy = reader;
        copy.Read();
        return copy.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject);
    }
}
