using System.Text.Json;
using SidecarInjector.Decode;

namespace SidecarInjector.Decide;

/// <summary>
/// Step 2, first half: reads only what the decision needs (labels, annotations, namespace,
/// hostNetwork) straight from the pod's bytes, so a skipped pod never costs a tree.
/// </summary>
internal static class PodFactsReader
{
    /// <summary>
    /// Reads the facts; a field of the wrong type is refused with the message of the one table of pod
    /// field types (<see cref="PodFieldTypes"/>, through <see cref="PodShape"/>), so both readers say the same.
    /// </summary>
    public static PodFacts Read(ReadOnlySpan<byte> pod, string requestNamespace) => Read(pod, requestNamespace, PodLayout.Unknown);

    /// <summary>
    /// The same, reading only the metadata object when <paramref name="layout"/> says where it is (a pass
    /// over the pod found it): the answer is the one the whole pod gives.
    /// </summary>
    public static PodFacts Read(ReadOnlySpan<byte> pod, string requestNamespace, PodLayout layout)
    {
        try
        {
            return layout.Known ? ReadFacts(pod.Slice(layout.MetadataStart, layout.MetadataLength), layout.HostNetwork, requestNamespace)
                : ReadFacts(pod, requestNamespace);
        }
        catch (MistypedField)
        {
            // Cold path: the table names the field and what it must be.
            PodShape.Check(pod);
            throw new InvalidOperationException("PodFactsReader refused a pod that PodFieldTypes accepts: the two readers disagree");
        }
    }

    /// <summary>A field this reader reads has the wrong JSON type; the table says which and how.</summary>
    private sealed class MistypedField : Exception;

    private static PodFacts ReadFacts(ReadOnlySpan<byte> pod, string requestNamespace)
    {
        var facts = new PodFacts { Namespace = requestNamespace };
        var reader = new Utf8JsonReader(pod, AdmissionReviewReader.Options);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadMetadata(ref reader, facts);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new MistypedField();
                }
            }
            else if (reader.ValueTextEquals("spec"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadSpec(ref reader, facts);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new MistypedField();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return facts;
    }

    private static PodFacts ReadFacts(ReadOnlySpan<byte> metadata, bool hostNetwork, string requestNamespace)
    {
        var facts = new PodFacts { Namespace = requestNamespace, HostNetwork = hostNetwork };
        var reader = new Utf8JsonReader(metadata, AdmissionReviewReader.Options);
        reader.Read();
        ReadMetadata(ref reader, facts);
        return facts;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, PodFacts facts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("labels"u8))
            {
                facts.Labels = ReadStringMap(ref reader);
            }
            else if (reader.ValueTextEquals("annotations"u8))
            {
                facts.Annotations = ReadStringMap(ref reader);
            }
            else if (reader.ValueTextEquals("name"u8) || (reader.ValueTextEquals("generateName"u8) && facts.Name.Length == 0))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    facts.Name = reader.GetString()!;
                }
            }
            else if (reader.ValueTextEquals("namespace"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    // The request's namespace is authoritative; the pod's own is used only when that is empty.
                    var own = reader.GetString()!;
                    if (facts.Namespace.Length == 0)
                    {
                        facts.Namespace = own;
                    }
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new MistypedField();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadSpec(ref Utf8JsonReader reader, PodFacts facts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("hostNetwork"u8))
            {
                reader.Read();
                facts.HostNetwork = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False or JsonTokenType.Null => false,
                    _ => throw new MistypedField(),
                };
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static IReadOnlyDictionary<string, string> ReadStringMap(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return PodFacts.NoEntries;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new MistypedField();
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            // A null value is Go's zero value for map[string]string: "" (a YAML `key:` with nothing after it).
            map[key] = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Null => "",
                _ => throw new MistypedField(),
            };
        }
        return map;
    }
}
