using System.Text.Json.Nodes;
using SidecarInjector.Decide;
using SidecarInjector.Errors;

namespace SidecarInjector.Configuration;

/// <summary>Reads and validates a metav1.LabelSelector from config.</summary>
internal static class LabelSelectorReader
{
    public static LabelSelector Read(JsonNode? node, string source, string field)
    {
        if (node is null)
        {
            return new LabelSelector([], []);
        }
        if (node is not JsonObject selector)
        {
            throw new ConfigException(source, 0, 0, $"{field} must be a label selector (matchLabels/matchExpressions)");
        }
        var labels = new List<KeyValuePair<string, string>>();
        var expressions = new List<LabelRequirement>();
        foreach (var (key, value) in selector)
        {
            switch (key)
            {
                case "matchLabels":
                    if (value is null) break;
                    if (value is not JsonObject map)
                    {
                        throw new ConfigException(source, 0, 0, $"{field}.matchLabels must be a mapping");
                    }
                    foreach (var (k, v) in map)
                    {
                        labels.Add(new(k, v is null ? "" : ConfigLoader.ReadString(v, source, $"{field}.matchLabels.{k}")));
                    }
                    break;
                case "matchExpressions":
                    if (value is null) break;
                    if (value is not JsonArray list)
                    {
                        throw new ConfigException(source, 0, 0, $"{field}.matchExpressions must be a list");
                    }
                    for (int i = 0; i < list.Count; i++)
                    {
                        expressions.Add(ReadRequirement(list[i], source, $"{field}.matchExpressions[{i}]"));
                    }
                    break;
                default:
                    throw new ConfigException(source, 0, 0, $"{field}: unknown field '{key}'");
            }
        }
        return new LabelSelector(labels, expressions);
    }

    private static LabelRequirement ReadRequirement(JsonNode? node, string source, string field)
    {
        if (node is not JsonObject o)
        {
            throw new ConfigException(source, 0, 0, $"{field} must be a mapping with key, operator and values");
        }
        var key = ConfigLoader.ReadString(o["key"], source, field + ".key");
        var operatorText = ConfigLoader.ReadString(o["operator"], source, field + ".operator");
        var values = ConfigLoader.ReadStringList(o["values"], source, field + ".values") ?? [];
        var op = operatorText switch
        {
            "In" => SelectorOperator.In,
            "NotIn" => SelectorOperator.NotIn,
            "Exists" => SelectorOperator.Exists,
            "DoesNotExist" => SelectorOperator.DoesNotExist,
            _ => throw new ConfigException(source, 0, 0, $"{field}.operator '{operatorText}' is not In, NotIn, Exists or DoesNotExist"),
        };
        if (op is SelectorOperator.In or SelectorOperator.NotIn && values.Count == 0)
        {
            throw new ConfigException(source, 0, 0, $"{field}: operator {operatorText} needs values");
        }
        if (op is SelectorOperator.Exists or SelectorOperator.DoesNotExist && values.Count != 0)
        {
            throw new ConfigException(source, 0, 0, $"{field}: operator {operatorText} takes no values");
        }
        if (key.Length == 0)
        {
            throw new ConfigException(source, 0, 0, $"{field}.key must not be empty");
        }
        return new LabelRequirement(key, op, values);
    }
}
