using System.Text.Json.Nodes;

namespace GoTemplates.Tests;

/// <summary>
/// What a template may read, found from its parse tree. Each case names a value the template
/// reads or does not; the soundness check then runs every template twice, with that value changed,
/// and a value reported unread must leave the output as it was.
/// </summary>
public sealed class TemplateReadsTests
{
    private static readonly FunctionTable Functions = ReadTestFunctions.Table;

    private const string Data = """
        {"meta":{"name":"web-0","uid":"1234","labels":{"app":"web","pod":"web-0"}},
         "spec":{"containers":[{"name":"web","mounts":[{"name":"token-abc"}]},{"name":"log","mounts":[{"name":"token-abc"}]}],
                 "volumes":[{"name":"token-abc"}]}}
        """;

    /// <summary>Template, location (dotted, * for every element), whether it may be read.</summary>
    public static TheoryData<string, string, bool> Cases() => new()
    {
        { "{{ .meta.name }}", "meta.name", true },
        { "{{ .meta.uid }}", "meta.name", false },
        { "{{ index .meta.labels \"app\" }}", "meta.labels.pod", false },
        { "{{ index .meta.labels \"pod\" }}", "meta.labels.pod", true },
        { "{{ dump .meta.labels }}", "meta.labels.pod", true },
        { "{{ isset .meta.labels \"pod\" }}", "meta.labels.pod", true },
        { "{{ isset .meta.labels \"app\" }}", "meta.labels.pod", false },
        { "{{ range .spec.containers }}{{ .name }}{{ end }}", "spec.containers.*.mounts.*.name", false },
        { "{{ range .spec.containers }}{{ dump . }}{{ end }}", "spec.containers.*.mounts.*.name", true },
        { "{{ range $i, $c := .spec.containers }}{{ $c.mounts }}{{ end }}", "spec.containers.*.mounts.*.name", true },
        { "{{ names .spec.containers }}", "spec.containers.*.mounts.*.name", false },
        { "{{ names .spec.containers }}", "spec.containers.*.name", true },
        { "{{ $m := .meta }}{{ $m.name }}", "meta.name", true },
        { "{{ $m := .meta }}{{ $m.uid }}", "meta.name", false },
        { "{{ $x := .meta.uid }}{{ $x = .meta.name }}{{ $x }}", "meta.name", true },
        { "{{ with .meta }}{{ .name }}{{ end }}", "meta.name", true },
        { "{{ with .meta }}{{ .uid }}{{ end }}", "meta.name", false },
        { "{{ if .meta.name }}yes{{ end }}", "meta.name", false },
        { "{{ if eq .meta.name \"web-0\" }}yes{{ end }}", "meta.name", true },
        { "{{ or .meta.nothing .meta.name }}", "meta.name", true },
        { "{{ (index .spec.volumes 0).name }}", "spec.volumes.*.name", true },
        { "{{ len .spec.volumes }}", "spec.volumes.*.name", true },
        { "{{ define \"n\" }}{{ .name }}{{ end }}{{ template \"n\" .meta }}", "meta.name", true },
        { "{{ define \"n\" }}{{ .uid }}{{ end }}{{ template \"n\" .meta }}", "meta.name", false },
        { "{{ define \"n\" }}{{ $.name }}{{ end }}{{ template \"n\" .meta }}", "meta.name", true },
        { "{{ dump . }}", "meta.name", true },
        { "{{ $ | dump }}", "meta.name", true },
        { "{{ .meta.labels | dump }}", "meta.labels.pod", true },
        { "{{ $k := \"pod\" }}{{ index .meta.labels $k }}", "meta.labels.pod", true },
        { "{{ range $k, $v := .meta.labels }}{{ $k }}{{ end }}", "meta.labels.pod", false },
        { "{{ range $k, $v := .meta.labels }}{{ $v }}{{ end }}", "meta.labels.pod", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_template_reads_what_it_uses_and_not_what_it_passes_by(string template, string location, bool read)
    {
        var reads = GoTemplate.Parse("t", template, Functions).Reads;
        Assert.True(read == reads.MayRead(location.Split('.')), $"{template}: {location} read is {!read}; reads: {reads}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_value_reported_unread_does_not_change_the_output(string template, string location, bool read)
    {
        _ = read;
        var parsed = GoTemplate.Parse("t", template, Functions);
        if (parsed.Reads.MayRead(location.Split('.')))
        {
            return;
        }
        var data = JsonNode.Parse(Data)!;
        var before = parsed.Execute(GoValues.FromJson(data));
        foreach (var changed in Locations(data, location.Split('.'), 0))
        {
            changed.ReplaceWith(changed.GetValue<string>() + "-other");
        }
        Assert.Equal(before, parsed.Execute(GoValues.FromJson(data)));
    }

    private static List<JsonValue> Locations(JsonNode? node, string[] path, int at)
    {
        if (node is null)
        {
            return [];
        }
        if (at == path.Length)
        {
            return node is JsonValue value ? [value] : [];
        }
        var found = new List<JsonValue>();
        if (path[at] == "*" && node is JsonArray array)
        {
            foreach (var item in array.ToList())
            {
                found.AddRange(Locations(item, path, at + 1));
            }
        }
        else if (node is JsonObject obj)
        {
            found.AddRange(Locations(obj[path[at]], path, at + 1));
        }
        return found;
    }

    [Fact]
    public void Variables_given_a_path_later_in_the_text_are_followed()
    {
        // $v is read before the assignment that gives it .meta.name appears in the text (inside a range).
        var reads = GoTemplate.Parse("t", "{{ $v := .meta.uid }}{{ range .spec.volumes }}{{ $v }}{{ $v = $.meta.name }}{{ end }}", Functions).Reads;
        Assert.True(reads.MayRead("meta", "name"));
    }

    [Fact]
    public void Struct_fields_match_by_go_or_json_name()
    {
        var reads = GoTemplate.Parse("t", "{{ .ObjectMeta.Name }}", Functions).Reads;
        Assert.True(reads.MayRead("ObjectMeta", "name"));
        Assert.False(reads.MayRead("ObjectMeta", "generateName"));
    }
}
