using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SidecarInjector.Decide;
using SidecarInjector.Decode;
using SidecarInjector.Json;
using SidecarInjector.Render;

namespace SidecarInjector.Answer;

/// <summary>
/// The memo's key for a pod: its bytes without the values <see cref="SiblingMasks"/> leaves out
/// (each cut to one marker byte, so structure and every other byte still count), followed by the
/// pod's workload as templates see it (Istio's DeploymentMeta). Pods of one workload, which differ
/// in their names, uids and token volume, get one key; one pass of a <see cref="Utf8JsonReader"/>
/// over the pod, nothing kept of it but the key.
/// </summary>
internal sealed class WorkloadKey : IDisposable, IObjectReader
{
    private const byte Marker = 0x01;
    private const byte Separator = 0x02;
    internal static ReadOnlySpan<byte> TokenVolumePrefix => "kube-api-access-"u8;

    private readonly PooledBufferWriter _key = new(8 * 1024);

    /// <summary>Left-out values, in the order they come: start (the opening quote) and length.</summary>
    private readonly List<MaskedValue> _masked = [];

    private string _podName = "", _generateName = "", _templateHash = "", _deploymentConfig = "";
    private InjectionData.OwnerReference? _controller;
    private int _podNameMask = -1;

    /// <summary>The owner reference being read (the first with controller: true becomes <see cref="_controller"/>).</summary>
    private bool _ownerIsController;
    private string _ownerApiVersion = "", _ownerKind = "", _ownerName = "";

    /// <summary>What <see cref="Layout"/> is made of, noted on the way.</summary>
    private int _metadataStart, _metadataLength, _metadataFields, _specFields, _hostNetworkFields;
    private bool _hostNetwork, _layoutUnsure;

    /// <summary>The masks of the key being built.</summary>
    private SiblingMasks _masks = SiblingMasks.None;

    public void Dispose() => _key.Dispose();

    private readonly byte[] _digest = new byte[SHA256.HashSizeInBytes];

    /// <summary>The key built by the last <see cref="Build"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _key.WrittenSpan;

    /// <summary>
    /// SHA-256 of <see cref="Bytes"/>: what the memo keeps instead of the key (32 bytes, not the pod's
    /// kilobytes). A collision-resistant hash, as a pod is user input: nobody can make their pod's key
    /// equal another workload's.
    /// </summary>
    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>
    /// Where the last pod's facts are (<see cref="PodLayout"/>), so the decision need not read the whole pod
    /// again; unknown when a field came twice, a name at the pod's or spec's level was escaped, or
    /// hostNetwork was not a boolean.
    /// </summary>
    public PodLayout Layout => !_layoutUnsure && _metadataFields == 1 && _specFields <= 1 && _hostNetworkFields <= 1
        ? new(_metadataStart, _metadataLength, _hostNetwork)
        : PodLayout.Unknown;

    /// <summary>How many values the last key left out.</summary>
    public int MaskedCount => _masked.Count;

    /// <summary>The values the last key left out, in the order they come (offsets in the pod).</summary>
    public ReadOnlySpan<MaskedValue> Masked => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_masked);

    /// <summary>The pod's name, or its generateName, for the log.</summary>
    public string PodName => _podName.Length > 0 ? _podName : _generateName;

    /// <summary>Offset of the pod in the bytes the reader reads (the review's body when read on its pass).</summary>
    private int _base;

    /// <summary>Whether the pod was read whole since <see cref="Begin"/>.</summary>
    private bool _read;

    /// <summary>
    /// Builds the key of <paramref name="pod"/>. False when the pod is not JSON the reader can follow
    /// (it then goes the full way, whose parser says what is wrong with it).
    /// </summary>
    public bool Build(ReadOnlySpan<byte> pod, SiblingMasks masks)
    {
        Begin(masks);
        try
        {
            var reader = new Utf8JsonReader(pod, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            ((IObjectReader)this).ReadObject(ref reader, 0);
        }
        catch (JsonException)
        {
            return false;
        }
        return Finish(pod);
    }

    /// <summary>
    /// Starts a key to be read on the review's pass (<see cref="AdmissionReviewReader.Read(ReadOnlySpan{byte}, IObjectReader?)"/>)
    /// and finished with <see cref="Finish"/>: the pod is then read once for the review and its key.
    /// </summary>
    public void Begin(SiblingMasks masks)
    {
        _masks = masks;
        _read = false;
        Reset(0);
    }

    private void Reset(int podOffset)
    {
        _base = podOffset;
        _key.Clear();
        _masked.Clear();
        _podName = _generateName = _templateHash = _deploymentConfig = "";
        _controller = null;
        _podNameMask = -1;
        _metadataStart = _metadataLength = _metadataFields = _specFields = _hostNetworkFields = 0;
        _hostNetwork = _layoutUnsure = false;
        _ownerIsController = false;
        _ownerApiVersion = _ownerKind = _ownerName = "";
    }

    /// <remarks>The review reader has checked the body's text, so every string here can be read.</remarks>
    void IObjectReader.ReadObject(ref Utf8JsonReader reader, int objectStart)
    {
        Reset(objectStart);
        ReadObject(ref reader, Part.Pod);
        _read = true;
    }

    /// <summary>
    /// Finishes the key of <paramref name="pod"/>, the object the last read was of. False when it was not
    /// read whole (no object, or one the reader could not follow).
    /// </summary>
    public bool Finish(ReadOnlySpan<byte> pod)
    {
        if (!_read)
        {
            return false;
        }
        _read = false;
        var (name, kind, apiVersion) = InjectionData.DeploymentMeta(_podName, _generateName, _controller, _templateHash, _deploymentConfig);
        if (_podNameMask >= 0 && ReferenceEquals(name, _podName))
        {
            // The workload is named after the pod (a StatefulSet's or a bare pod): its name counts.
            _masked.RemoveAt(_podNameMask);
        }
        int from = 0;
        foreach (var (start, length, _, _) in _masked)
        {
            _key.Write(pod[from..start]);
            _key.Write([Marker]);
            from = start + length;
        }
        _key.Write(pod[from..]);
        foreach (var text in (ReadOnlySpan<string>)[kind, apiVersion, name])
        {
            _key.Write([Separator]);
            WriteUtf8(text);
        }
        SHA256.HashData(_key.WrittenSpan, _digest);
        return true;
    }

    /// <summary>
    /// The pod with every left-out value changed in its last letter or digit (the same value the same
    /// way, so a volume and its mounts still agree): an answer that depends on a left-out value
    /// differs for it. Owner names are kept (the workload, which is part of the key, comes from them).
    /// </summary>
    public byte[] Perturbed(ReadOnlySpan<byte> pod)
    {
        var copy = pod.ToArray();
        foreach (var (start, length, perturbable, _) in _masked)
        {
            if (!perturbable)
            {
                continue;
            }
            for (int i = start + length - 2; i > start; i--)
            {
                byte c = copy[i];
                if (char.IsAsciiDigit((char)c))
                {
                    copy[i] = (byte)(c == '9' ? '0' : c + 1);
                    break;
                }
                if (char.IsAsciiLetterLower((char)c) || char.IsAsciiLetterUpper((char)c))
                {
                    // Hex letters stay hex (uids), others move on by one.
                    copy[i] = c is (byte)'f' or (byte)'F' ? (byte)(c - 5) : c is (byte)'z' or (byte)'Z' ? (byte)(c - 25) : (byte)(c + 1);
                    break;
                }
            }
        }
        return copy;
    }

    private void WriteUtf8(string text)
    {
        var span = _key.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _key.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private enum Part
    {
        Pod,
        Metadata,
        Labels,
        Annotations,
        Owner,
        ManagedField,
        Spec,
        Volume,
        Container,
        Mount,
        Other,
    }

    /// <summary>Reads an object whose StartObject the reader is on, to its EndObject.</summary>
    private void ReadObject(ref Utf8JsonReader reader, Part part)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Field(ref reader, part);
            if (part is Part.Pod or Part.Spec)
            {
                NoteLayoutField(reader.ValueIsEscaped, field);
            }
            reader.Read();
            if (part is Part.Pod or Part.Spec)
            {
                NoteLayoutValue(reader.TokenType, field);
            }
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    var inner = ObjectPart(part, field);
                    if (inner == Part.Other)
                    {
                        reader.Skip();
                    }
                    else
                    {
                        int start = (int)reader.TokenStartIndex;
                        ReadObject(ref reader, inner);
                        if (inner == Part.Metadata)
                        {
                            _metadataStart = start - _base;
                            _metadataLength = (int)reader.BytesConsumed - start;
                        }
                    }
                    break;
                case JsonTokenType.StartArray:
                    var items = ItemPart(part, field);
                    if (items == Part.Other)
                    {
                        reader.Skip();
                    }
                    else
                    {
                        ReadArray(ref reader, items);
                    }
                    break;
                case JsonTokenType.String:
                    ReadString(ref reader, part, field);
                    break;
                case JsonTokenType.True when part == Part.Owner && field == Known.Controller:
                    _ownerIsController = true;
                    break;
            }
        }
        if (part == Part.Owner)
        {
            if (_ownerIsController && _controller is null)
            {
                _controller = new(_ownerApiVersion, _ownerKind, _ownerName);
            }
            _ownerIsController = false;
            _ownerApiVersion = _ownerKind = _ownerName = "";
        }
    }

    /// <summary>A field of the pod or its spec, by name: what <see cref="Layout"/> may rely on.</summary>
    private void NoteLayoutField(bool escaped, Known field)
    {
        // The decision's reader matches escaped names too; this pass does not.
        _layoutUnsure |= escaped;
        switch (field)
        {
            case Known.Metadata:
                _metadataFields++;
                break;
            case Known.Spec:
                _specFields++;
                break;
            case Known.HostNetwork:
                _hostNetworkFields++;
                break;
        }
    }

    /// <summary>A value of the pod or its spec: the decision's reader refuses a spec or hostNetwork of another type, which the whole pod must then say.</summary>
    private void NoteLayoutValue(JsonTokenType token, Known field)
    {
        switch (field)
        {
            case Known.Spec:
                _layoutUnsure |= token is not (JsonTokenType.StartObject or JsonTokenType.Null);
                break;
            case Known.HostNetwork:
                _hostNetwork = token == JsonTokenType.True;
                _layoutUnsure |= token is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null);
                break;
        }
    }

    private void ReadArray(ref Utf8JsonReader reader, Part items)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                ReadObject(ref reader, items);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private void ReadString(ref Utf8JsonReader reader, Part part, Known field)
    {
        var masks = _masks;
        bool plain = !reader.ValueIsEscaped && reader.ValueSpan.Length > 0;
        switch (part, field)
        {
            case (Part.Metadata, Known.Name):
                _podName = reader.GetString()!;
                if (plain && masks.PodName)
                {
                    _podNameMask = _masked.Count;
                    // The pod's name is logged, and may name the workload: a sibling's must be the same bytes.
                    Mask(ref reader, perturbable: true, SiblingVariation.None);
                }
                break;
            case (Part.Metadata, Known.GenerateName):
                _generateName = reader.GetString()!;
                MaskIf(ref reader, plain && masks.GenerateName, perturbable: true, SiblingVariation.None);
                break;
            case (Part.Metadata, Known.Uid):
                MaskIf(ref reader, plain && masks.Uid, perturbable: true, SiblingVariation.PlainText);
                break;
            case (Part.Metadata, Known.CreationTimestamp):
                MaskIf(ref reader, plain && masks.CreationTimestamp, perturbable: true, SiblingVariation.PlainText);
                break;
            case (Part.Labels, Known.TemplateHash):
                _templateHash = reader.GetString()!;
                break;
            case (Part.Labels, Known.DeploymentConfig):
                _deploymentConfig = reader.GetString()!;
                break;
            case (Part.Labels or Part.Annotations, Known.PerPod):
                MaskIf(ref reader, plain, perturbable: true, SiblingVariation.PlainText);
                break;
            case (Part.Owner, Known.Name):
                _ownerName = reader.GetString()!;
                // The workload comes from the controller's name and is part of the key.
                MaskIf(ref reader, plain && masks.OwnerNames, perturbable: false, SiblingVariation.None);
                break;
            case (Part.Owner, Known.Uid):
                MaskIf(ref reader, plain && masks.OwnerUids, perturbable: true, SiblingVariation.PlainText);
                break;
            case (Part.Owner, Known.Kind):
                _ownerKind = reader.GetString()!;
                break;
            case (Part.Owner, Known.ApiVersion):
                _ownerApiVersion = reader.GetString()!;
                break;
            case (Part.ManagedField, Known.Time):
                MaskIf(ref reader, plain && masks.ManagedFieldTimes, perturbable: true, SiblingVariation.PlainText);
                break;
            case (Part.Volume or Part.Mount, Known.Name):
                MaskIf(ref reader, plain && masks.TokenVolumeNames && IsTokenVolume(reader.ValueSpan), perturbable: true, SiblingVariation.TokenSuffix);
                break;
        }
    }

    private void MaskIf(ref Utf8JsonReader reader, bool mask, bool perturbable, SiblingVariation variation)
    {
        if (mask)
        {
            Mask(ref reader, perturbable, variation);
        }
    }

    private void Mask(ref Utf8JsonReader reader, bool perturbable, SiblingVariation variation) =>
        _masked.Add(new((int)reader.TokenStartIndex - _base, (int)(reader.BytesConsumed - reader.TokenStartIndex), perturbable, variation));

    /// <summary><c>kube-api-access-</c> and five lower-case letters or digits, as the ServiceAccount admission names it.</summary>
    private static bool IsTokenVolume(ReadOnlySpan<byte> name)
    {
        if (name.Length != TokenVolumePrefix.Length + 5 || !name.StartsWith(TokenVolumePrefix))
        {
            return false;
        }
        foreach (var c in name[TokenVolumePrefix.Length..])
        {
            if (!char.IsAsciiDigit((char)c) && !char.IsAsciiLetterLower((char)c))
            {
                return false;
            }
        }
        return true;
    }

    private enum Known
    {
        None,
        Metadata,
        Spec,
        Name,
        GenerateName,
        Uid,
        CreationTimestamp,
        Labels,
        Annotations,
        OwnerReferences,
        ManagedFields,
        Time,
        Kind,
        ApiVersion,
        Controller,
        TemplateHash,
        DeploymentConfig,
        PerPod,
        Volumes,
        Containers,
        VolumeMounts,
        HostNetwork,
    }


    private Known Field(ref Utf8JsonReader reader, Part part)
    {
        if (reader.ValueIsEscaped)
        {
            return Known.None;
        }
        var name = reader.ValueSpan;
        switch (part)
        {
            case Part.Pod:
                return name.SequenceEqual("metadata"u8) ? Known.Metadata : name.SequenceEqual("spec"u8) ? Known.Spec : Known.None;
            case Part.Metadata:
                return name.SequenceEqual("name"u8) ? Known.Name
                    : name.SequenceEqual("generateName"u8) ? Known.GenerateName
                    : name.SequenceEqual("uid"u8) ? Known.Uid
                    : name.SequenceEqual("creationTimestamp"u8) ? Known.CreationTimestamp
                    : name.SequenceEqual("labels"u8) ? Known.Labels
                    : name.SequenceEqual("annotations"u8) ? Known.Annotations
                    : name.SequenceEqual("ownerReferences"u8) ? Known.OwnerReferences
                    : name.SequenceEqual("managedFields"u8) ? Known.ManagedFields
                    : Known.None;
            case Part.Labels:
                return name.SequenceEqual("pod-template-hash"u8) ? Known.TemplateHash
                    : name.SequenceEqual("deploymentconfig"u8) ? Known.DeploymentConfig
                    : IsOneOf(name, _masks.LabelValues) ? Known.PerPod
                    : Known.None;
            case Part.Annotations:
                return IsOneOf(name, _masks.AnnotationValues) ? Known.PerPod : Known.None;
            case Part.Owner:
                return name.SequenceEqual("name"u8) ? Known.Name
                    : name.SequenceEqual("uid"u8) ? Known.Uid
                    : name.SequenceEqual("kind"u8) ? Known.Kind
                    : name.SequenceEqual("apiVersion"u8) ? Known.ApiVersion
                    : name.SequenceEqual("controller"u8) ? Known.Controller
                    : Known.None;
            case Part.ManagedField:
                return name.SequenceEqual("time"u8) ? Known.Time : Known.None;
            case Part.Spec:
                return name.SequenceEqual("volumes"u8) ? Known.Volumes
                    : name.SequenceEqual("containers"u8) || name.SequenceEqual("initContainers"u8) || name.SequenceEqual("ephemeralContainers"u8) ? Known.Containers
                    : name.SequenceEqual("hostNetwork"u8) ? Known.HostNetwork
                    : Known.None;
            case Part.Volume or Part.Mount:
                return name.SequenceEqual("name"u8) ? Known.Name : Known.None;
            case Part.Container:
                return name.SequenceEqual("volumeMounts"u8) ? Known.VolumeMounts : Known.None;
            default:
                return Known.None;
        }
    }

    private static bool IsOneOf(ReadOnlySpan<byte> name, IReadOnlySet<string> keys)
    {
        if (keys.Count == 0 || name.Length > 64)
        {
            return false;
        }
        Span<char> chars = stackalloc char[name.Length];
        if (Encoding.UTF8.GetChars(name, chars) != name.Length)
        {
            return false;
        }
        foreach (var key in keys)
        {
            if (chars.SequenceEqual(key))
            {
                return true;
            }
        }
        return false;
    }

    private static Part ObjectPart(Part part, Known field) => (part, field) switch
    {
        (Part.Pod, Known.Metadata) => Part.Metadata,
        (Part.Pod, Known.Spec) => Part.Spec,
        (Part.Metadata, Known.Labels) => Part.Labels,
        (Part.Metadata, Known.Annotations) => Part.Annotations,
        _ => Part.Other,
    };

    private static Part ItemPart(Part part, Known field) => (part, field) switch
    {
        (Part.Metadata, Known.OwnerReferences) => Part.Owner,
        (Part.Metadata, Known.ManagedFields) => Part.ManagedField,
        (Part.Spec, Known.Volumes) => Part.Volume,
        (Part.Spec, Known.Containers) => Part.Container,
        (Part.Container, Known.VolumeMounts) => Part.Mount,
        _ => Part.Other,
    };
}
