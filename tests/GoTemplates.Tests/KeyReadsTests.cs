using System.Text;
using System.Text.Json.Nodes;

namespace GoTemplates.Tests;

/// <summary>
/// <see cref="GoTemplate.KeyReads"/> is a key for renders: data whose values agree at every path it
/// names (lengths and keys at a <c>#</c>) render the same text. Checked on seeded random data: every
/// template renders many variants of a pod-like document, and variants of one key must agree. The
/// plain <see cref="GoTemplate.Reads"/> (made for masks, not keys) fails the same check, so the check can fail.
/// </summary>
public sealed class KeyReadsTests
{
    private static readonly FunctionTable Functions = ReadTestFunctions.Table;

    private static readonly string[] Templates =
    [
        "{{ if .meta.name }}named{{ end }}",
        "{{ if not .meta.uid }}no uid{{ end }}",
        "{{ if and .meta.name .meta.uid }}both{{ else if or .meta.labels .meta.uid }}some{{ end }}",
        "{{ with .meta.labels }}{{ .app }}{{ else }}unlabelled{{ end }}",
        "{{ range .spec.containers }}c{{ end }}",
        "{{ range .spec.containers }}{{ .name }};{{ else }}none{{ end }}",
        "{{ range $k, $v := .meta.labels }}{{ $k }}{{ end }}",
        "{{ range .spec.containers }}{{ range .mounts }}m{{ end }}|{{ end }}",
        "{{ if .spec.containers }}{{ (index .spec.containers 0).name }}{{ end }}",
        "{{ isset .meta.labels \"pod\" }}",
        "{{ len .spec.volumes }}",
        "{{ define \"n\" }}{{ if .name }}[{{ .name }}]{{ end }}{{ end }}{{ template \"n\" .meta }}",
        "{{ $first := \"\" }}{{ range .spec.containers }}{{ if not $first }}{{ $first = .name }}{{ end }}{{ end }}{{ $first }}",
        "{{ names .spec.containers }}",
        "{{ or .meta.nothing .meta.name \"fallback\" }}",
        "{{ if eq (len .spec.volumes) 0 }}no volumes{{ end }}",
    ];

    /// <summary>A pod-like document, randomly varied: fields present or not, empty or not, lists of 0–3 items, repeated values.</summary>
    private static JsonObject Variant(Random random)
    {
        string Pick(params string[] choices) => choices[random.Next(choices.Length)];
        var meta = new JsonObject();
        if (random.Next(3) > 0)
        {
            meta["name"] = Pick("web-0", "web-1", "");
        }
        if (random.Next(2) > 0)
        {
            meta["uid"] = Pick("1234", "", "5678");
        }
        if (random.Next(3) > 0)
        {
            var labels = new JsonObject();
            foreach (var key in new[] { "app", "pod", "tier" })
            {
                if (random.Next(2) > 0)
                {
                    labels[key] = Pick("web", "", "db");
                }
            }
            meta["labels"] = labels;
        }
        var containers = new JsonArray();
        int count = random.Next(4);
        for (int i = 0; i < count; i++)
        {
            var container = new JsonObject();
            if (random.Next(4) > 0)
            {
                container["name"] = Pick("web", "log", "");
            }
            var mounts = new JsonArray();
            for (int m = random.Next(3); m > 0; m--)
            {
                mounts.Add(new JsonObject { ["name"] = Pick("token-a", "token-b") });
            }
            container["mounts"] = mounts;
            containers.Add(container);
        }
        var spec = new JsonObject { ["containers"] = containers };
        if (random.Next(2) > 0)
        {
            var volumes = new JsonArray();
            for (int v = random.Next(3); v > 0; v--)
            {
                volumes.Add(new JsonObject { ["name"] = Pick("token-a", "data") });
            }
            spec["volumes"] = volumes;
        }
        return new JsonObject { ["meta"] = meta, ["spec"] = spec };
    }

    /// <summary>The values at <paramref name="reads"/>' paths, as text: what a cache of renders would compare.</summary>
    private static string KeyOf(JsonNode data, TemplateReads reads)
    {
        var key = new StringBuilder();
        foreach (var path in reads.Paths)
        {
            key.Append(string.Join('.', path)).Append('=');
            At(key, data, path, 0);
            key.Append('\n');
        }
        return key.ToString();
    }

    private static void At(StringBuilder key, JsonNode? node, string[] path, int at)
    {
        if (at == path.Length)
        {
            key.Append(node is null ? "<absent>" : node.ToJsonString());
            return;
        }
        switch (path[at], node)
        {
            case ("#", JsonArray array):
                key.Append("len ").Append(array.Count);
                return;
            case ("#", JsonObject map):
                key.Append("keys ").Append(string.Join(",", map.Select(p => p.Key).Order(StringComparer.Ordinal)));
                return;
            case ("*", JsonArray items):
                key.Append('[');
                foreach (var item in items)
                {
                    At(key, item, path, at + 1);
                    key.Append(',');
                }
                key.Append(']');
                return;
            case ("*", JsonObject entries):
                key.Append('{');
                foreach (var (name, value) in entries.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    key.Append(name).Append(':');
                    At(key, value, path, at + 1);
                    key.Append(',');
                }
                key.Append('}');
                return;
            case (_, JsonObject o):
                At(key, o[path[at]], path, at + 1);
                return;
            default:
                key.Append(node is null ? "<absent>" : "<not a collection: " + node.ToJsonString() + ">");
                return;
        }
    }

    /// <summary>Pairs of variants with one key and two different renders (none, for a sound key).</summary>
    private static List<string> Disagreements(string template, bool forKey)
    {
        var parsed = GoTemplate.Parse("t", template, Functions);
        var reads = forKey ? parsed.KeyReads : parsed.Reads;
        Assert.False(reads.Everything, template);
        var renders = new Dictionary<string, (string Text, string Data)>(StringComparer.Ordinal);
        var problems = new List<string>();
        // Seeded by the template's text (string hashes differ from run to run): the same variants every run.
        var random = new Random(template.Aggregate(17, (seed, c) => unchecked(seed * 31 + c)));
        for (int i = 0; i < 400; i++)
        {
            var data = Variant(random);
            var text = parsed.Execute(GoValues.FromJson(data));
            var key = KeyOf(data, reads);
            if (renders.TryGetValue(key, out var seen) && seen.Text != text)
            {
                problems.Add($"{template}: '{seen.Text}' for {seen.Data}, '{text}' for {data.ToJsonString()}, both of key\n{key}");
            }
            renders.TryAdd(key, (text, data.ToJsonString()));
        }
        return problems;
    }

    public static TheoryData<string> AllTemplates() => new(Templates);

    [Theory]
    [MemberData(nameof(AllTemplates))]
    public void Data_equal_at_the_key_paths_render_the_same(string template)
    {
        var problems = Disagreements(template, forKey: true);
        Assert.True(problems.Count == 0, string.Join("\n\n", problems.Take(2)));
    }

    [Fact]
    public void The_paths_made_for_masks_are_not_a_key_and_the_check_sees_it()
    {
        int unsound = Templates.Count(t => Disagreements(t, forKey: false).Count > 0);
        Assert.True(unsound >= 5, $"only {unsound} templates disagree under the plain reads");
    }

    [Fact]
    public void A_range_reads_the_length_and_a_test_reads_its_value()
    {
        var reads = GoTemplate.Parse("t", "{{ range .spec.containers }}x{{ end }}{{ if .meta.uid }}y{{ end }}", Functions).KeyReads;
        Assert.Contains(reads.Paths, p => p.SequenceEqual(["spec", "containers", "#"]));
        Assert.Contains(reads.Paths, p => p.SequenceEqual(["meta", "uid"]));
        Assert.Empty(GoTemplate.Parse("t", "{{ range .spec.containers }}x{{ end }}{{ if .meta.uid }}y{{ end }}", Functions).Reads.Paths);
    }
}
