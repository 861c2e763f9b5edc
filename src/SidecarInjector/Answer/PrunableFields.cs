using System.Runtime.CompilerServices;
using System.Text;
using SidecarInjector.Configuration;

namespace SidecarInjector.Answer;

/// <summary>
/// The parts of a pod that injection, under one config, neither reads nor writes, so that the fresh
/// path may leave them out of the tree it builds (<see cref="PodProjection"/>): the bulk of the pod's
/// own containers (env, mounts, resources, command and args: a container's 2,000 env vars) and its
/// volumes' sources (the projected token volume). A field is prunable only when no template may read
/// it (<see cref="GoTemplates.TemplateReads"/>) and no step after rendering reads it: those read the
/// pod's annotations and labels, and of its containers the names, image, ports, probes, lifecycle
/// hooks and security context, none of which is ever pruned.
/// </summary>
internal sealed class PrunableFields
{
    /// <summary>Container fields no step after rendering reads (found by reading Merge/; held by the differential test).</summary>
    internal static readonly string[] ContainerCandidates =
        ["env", "envFrom", "volumeMounts", "volumeDevices", "resources", "command", "args", "resizePolicy"];

    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    private static readonly ConditionalWeakTable<ConfigSnapshot, PrunableFields> Found = new();

    private readonly byte[][] _containerFields;

    private PrunableFields(byte[][] containerFields, bool volumeSources)
    {
        _containerFields = containerFields;
        VolumeSources = volumeSources;
    }

    /// <summary>True when a volume's source (every field but its name) may be left out.</summary>
    public bool VolumeSources { get; }

    /// <summary>True when nothing may be left out: the fresh path then parses the pod as it is.</summary>
    public bool None => _containerFields.Length == 0 && !VolumeSources;

    /// <summary>The container fields that may be left out (for tests and logs).</summary>
    public IReadOnlyList<string> ContainerFields
    {
        get
        {
            var names = new List<string>(_containerFields.Length);
            foreach (var name in _containerFields)
            {
                names.Add(Encoding.UTF8.GetString(name));
            }
            return names;
        }
    }

    /// <summary>True when a container's field of this (unescaped UTF-8) name may be left out.</summary>
    public bool IsPrunableContainerField(ReadOnlySpan<byte> name)
    {
        foreach (var field in _containerFields)
        {
            if (name.SequenceEqual(field))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Found once per config version, whoever asks.</summary>
    public static PrunableFields For(ConfigSnapshot config) => Found.GetValue(config, Find);

    private static PrunableFields Find(ConfigSnapshot config)
    {
        bool Unread(params string[] location) => !config.TemplatesMayRead(location);
        var fields = new List<byte[]>();
        foreach (var field in ContainerCandidates)
        {
            bool unread = true;
            foreach (var list in ContainerLists)
            {
                unread &= Unread("Spec", list, "*", field);
            }
            if (unread)
            {
                fields.Add(Encoding.UTF8.GetBytes(field));
            }
        }
        // A volume's source is any field but its name: a template may read none of them.
        bool volumeSources = Unread("Spec", "volumes", "*", "*");
        return new PrunableFields([.. fields], volumeSources);
    }
}
