using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Decode;

/// <summary>
/// The reader's check (<see cref="PodShape.Fits"/>, the hot path) and the parsed check (which names the
/// field) are one rule set read two ways: on random pods with one value anywhere replaced by a value of
/// another JSON type, they must agree on every pod.
/// </summary>
public sealed class PodShapeFitsTests
{
    private static readonly JsonNode?[] Replacements =
        [JsonValue.Create("eighty"), JsonValue.Create(80), JsonValue.Create(80.5), JsonValue.Create(true), null, new JsonObject(), new JsonArray(),
         new JsonObject { ["a"] = 1 }, new JsonArray(1, "b"), JsonValue.Create("1Gi"), JsonValue.Create("100m"), JsonValue.Create("lots")];

    [Fact]
    public void The_reader_and_the_parsed_check_agree_on_every_mutated_pod()
    {
        int refused = 0;
        for (int seed = 0; seed < 3000; seed++)
        {
            var random = new Random(seed);
            var generator = new RandomWorkloads(seed);
            var pod = generator.Pod(generator.Next(), 0);
            ProjectionShapes.AddSome(pod, random);
            var nodes = new List<(JsonNode Parent, object Key)>();
            Collect(pod, nodes);
            var (parent, key) = nodes[random.Next(nodes.Count)];
            var replacement = Replacements[random.Next(Replacements.Length)]?.DeepClone();
            if (key is string name)
            {
                parent[name] = replacement;
            }
            else
            {
                parent[(int)key] = replacement;
            }
            var bytes = Encoding.UTF8.GetBytes(pod.ToJsonString());
            bool fits = PodShape.Fits(bytes);
            string? violation = null;
            try
            {
                using var document = JsonDocument.Parse(bytes);
                PodShape.Check(document.RootElement);
            }
            catch (InjectionException e)
            {
                violation = e.Message;
                refused++;
            }
            Assert.True(fits == (violation is null), $"seed {seed}: reader says {(fits ? "fits" : "does not fit")}, parsed check says {violation ?? "fits"}\n{pod.ToJsonString()}");
        }
        Assert.True(refused > 300, $"only {refused} of 3,000 mutated pods were refused: the mutations do not reach the checked fields");
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    into.Add((o, key));
                    if (value is not null)
                    {
                        Collect(value, into);
                    }
                }
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    into.Add((a, i));
                    if (a[i] is { } item)
                    {
                        Collect(item, into);
                    }
                }
                break;
        }
    }
}
