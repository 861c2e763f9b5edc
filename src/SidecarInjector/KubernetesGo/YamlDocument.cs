using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// Reads YAML into a JSON tree the way Kubernetes does (sigs.k8s.io/yaml: YAML 1.1 scalars,
/// then JSON). Only YamlDotNet's event parser is used, so nothing here needs reflection.
/// </summary>
internal static class YamlDocument
{
    /// <summary>Parses one YAML document. An empty document gives null.</summary>
    public static JsonNode? Parse(string text, string sourceName)
    {
        var documents = ParseAll(text, sourceName);
        if (documents.Count > 1)
        {
            throw new ConfigException(sourceName, 0, 0, "expected one YAML document, found " + documents.Count);
        }
        return documents.Count == 0 ? null : documents[0];
    }

    /// <summary>Parses a multi-document YAML stream.</summary>
    public static List<JsonNode?> ParseAll(string text, string sourceName)
    {
        var result = new List<JsonNode?>();
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                var budget = new NodeBudget();
                JsonNode? root = parser.Accept<DocumentEnd>(out _) ? null : ReadNode(parser, anchors, sourceName, depth: 0, budget);
                parser.Consume<DocumentEnd>();
                result.Add(root);
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            throw new ConfigException(sourceName, (int)e.Start.Line, (int)e.Start.Column, e.Message);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this on some malformed input instead of a YamlException.
            var near = parser.Current?.End ?? Mark.Empty;
            throw new ConfigException(sourceName, Math.Max(1, (int)near.Line), (int)near.Column, "YAML syntax error after this point");
        }
        return result;
    }

    private const int MaxDepth = 200;

    /// <summary>
    /// Nodes one document may make, aliases expanded. A "billion laughs" document of 2 KB expands to
    /// billions of nodes (gigabytes) through aliases of aliases; real ConfigMaps and manifests stay far
    /// below this (Istio's whole injection ConfigMap is a few thousand).
    /// </summary>
    public const long MaxNodes = 250_000;

    /// <summary>What is left of <see cref="MaxNodes"/> for the document being read.</summary>
    private sealed class NodeBudget
    {
        public long Remaining = MaxNodes;

        public void Spend(long nodes, string source, Mark at)
        {
            Remaining -= nodes;
            if (Remaining < 0)
            {
                throw new ConfigException(source, (int)at.Line, (int)at.Column,
                    $"YAML expands to more than {MaxNodes} nodes (aliases that repeat aliases?)");
            }
        }
    }

    private static long CountNodes(JsonNode? node)
    {
        long count = 1;
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o)
                {
                    count += CountNodes(v);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    count += CountNodes(item);
                }
                break;
        }
        return count;
    }

    private static JsonNode? ReadNode(IParser parser, Dictionary<string, JsonNode?> anchors, string source, int depth, NodeBudget budget)
    {
        if (depth > MaxDepth)
        {
            var at = parser.Current!.Start;
            throw new ConfigException(source, (int)at.Line, (int)at.Column, "YAML nested deeper than " + MaxDepth + " levels");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new ConfigException(source, (int)alias.Start.Line, (int)alias.Start.Column, "unknown alias *" + alias.Value.Value);
            }
            // Paid before the copy is made: the copy is what would exhaust memory.
            budget.Spend(CountNodes(target), source, alias.Start);
            return target?.DeepClone();
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            budget.Spend(1, source, scalar.Start);
            var value = ScalarToNode(scalar);
            Remember(anchors, scalar.Anchor, value);
            return value;
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            budget.Spend(1, source, sequenceStart.Start);
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                array.Add(ReadNode(parser, anchors, source, depth + 1, budget));
            }
            Remember(anchors, sequenceStart.Anchor, array);
            return array;
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            budget.Spend(1, source, mappingStart.Start);
            var map = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                // Keys of Kubernetes objects are strings: a plain `y` or `on` key stays a string.
                var keyNode = keyEvent is Scalar keyScalar ? ConsumeKey(parser, keyScalar, anchors) : ReadNode(parser, anchors, source, depth + 1, budget);
                var value = ReadNode(parser, anchors, source, depth + 1, budget);
                if (keyNode is JsonValue keyValue && keyValue.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && keyValue.GetValue<string>() == "<<" && keyEvent is Scalar { IsQuotedImplicit: false, Style: ScalarStyle.Plain })
                {
                    MergeKey(map, value, source, keyEvent);
                    continue;
                }
                var key = KeyText(keyNode, source, keyEvent);
                // Later keys win, as in sigs.k8s.io/yaml's JSON conversion.
                map[key] = value;
            }
            Remember(anchors, mappingStart.Anchor, map);
            return map;
        }

        var current = parser.Current!;
        throw new ConfigException(source, (int)current.Start.Line, (int)current.Start.Column, "unexpected YAML event " + current.GetType().Name);
    }

    private static JsonValue ConsumeKey(IParser parser, Scalar key, Dictionary<string, JsonNode?> anchors)
    {
        parser.MoveNext();
        var value = JsonValue.Create(key.Value);
        Remember(anchors, key.Anchor, value);
        return value;
    }

    private static void Remember(Dictionary<string, JsonNode?> anchors, AnchorName anchor, JsonNode? value)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = value?.DeepClone();
        }
    }

    private static void MergeKey(JsonObject map, JsonNode? value, string source, ParsingEvent at)
    {
        // YAML 1.1 merge key: `<<: *base` or `<<: [*a, *b]`; explicit keys win over merged ones.
        var sources = value is JsonArray list ? list : new JsonArray(value?.DeepClone());
        foreach (var item in sources)
        {
            if (item is not JsonObject merged)
            {
                throw new ConfigException(source, (int)at.Start.Line, (int)at.Start.Column, "merge key << needs a mapping");
            }
            foreach (var (k, v) in merged)
            {
                if (!map.ContainsKey(k))
                {
                    map[k] = v?.DeepClone();
                }
            }
        }
    }

    private static string KeyText(JsonNode? key, string source, ParsingEvent at) => key switch
    {
        null => "null",
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            System.Text.Json.JsonValueKind.True => "true",
            System.Text.Json.JsonValueKind.False => "false",
            _ => v.ToJsonString(),
        },
        _ => throw new ConfigException(source, (int)at.Start.Line, (int)at.Start.Column, "a mapping key must be a scalar"),
    };

    private static JsonNode? ScalarToNode(Scalar scalar)
    {
        var text = scalar.Value;
        if (!scalar.Tag.IsEmpty)
        {
            switch (scalar.Tag.Value)
            {
                case "tag:yaml.org,2002:str": return JsonValue.Create(text);
                case "tag:yaml.org,2002:null": return null;
                case "tag:yaml.org,2002:bool": return YamlScalars.ResolveBool(text) is bool b ? JsonValue.Create(b) : JsonValue.Create(text);
                case "tag:yaml.org,2002:int":
                case "tag:yaml.org,2002:float":
                    return YamlScalars.ResolveNumber(text) ?? JsonValue.Create(text);
            }
        }
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }
        return YamlScalars.ResolvePlain(text);
    }
}
