using System.Text.Json.Nodes;

namespace GoTemplates.Tests;

/// <summary>Go text/template semantics, checked against what Go's own engine prints for the same input.</summary>
public sealed class GoTemplateTests
{
    private static readonly FunctionTable Functions = Builtins.AddTo(new FunctionTable());

    private const string Data = """
        {"name":"app","empty":"","zero":0,"one":1,"pi":3.5,"big":1000000,"yes":true,"no":false,
         "list":["a","b","c"],"none":[],"map":{"b":"2","a":"1","c":"3"},"nested":{"inner":{"x":"deep"}},
         "users":[{"name":"ann","age":31},{"name":"bob","age":27}]}
        """;

    private static string Run(string template, string data = Data) =>
        GoTemplate.Parse("t", template, Functions).Execute(GoValues.FromJson(JsonNode.Parse(data)));

    [Theory]
    [InlineData("hello", "hello")]
    [InlineData("{{.name}}", "app")]
    [InlineData("{{ .nested.inner.x }}", "deep")]
    [InlineData("{{.missing}}", "<no value>")]
    [InlineData("a {{- \" b \" -}} c", "a b c")]
    [InlineData("a  {{- /* comment */ -}}  b", "ab")]
    [InlineData("{{/* only a comment */}}x", "x")]
    [InlineData("{{if .yes}}Y{{else}}N{{end}}", "Y")]
    [InlineData("{{if .empty}}Y{{else if .zero}}Z{{else if .one}}O{{else}}N{{end}}", "O")]
    [InlineData("{{with .nested.inner}}{{.x}}{{end}}", "deep")]
    [InlineData("{{with .empty}}x{{else with .name}}{{.}}{{end}}", "app")]
    [InlineData("{{range .list}}[{{.}}]{{end}}", "[a][b][c]")]
    [InlineData("{{range $i, $v := .list}}{{$i}}={{$v}} {{end}}", "0=a 1=b 2=c ")]
    [InlineData("{{range $k, $v := .map}}{{$k}}{{$v}}{{end}}", "a1b2c3")]
    [InlineData("{{range .none}}x{{else}}empty{{end}}", "empty")]
    [InlineData("{{range .list}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "a")]
    [InlineData("{{range .list}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", "ac")]
    [InlineData("{{range 3}}{{.}}{{end}}", "012")]
    [InlineData("{{$x := \"v\"}}{{$x}}{{$x = \"w\"}}{{$x}}", "vw")]
    [InlineData("{{range .users}}{{$.name}}:{{.name}} {{end}}", "app:ann app:bob ")]
    [InlineData("{{.name | printf \"%s-%s\" \"x\"}}", "x-app")]
    [InlineData("{{printf \"%d|%5d|%-4s|%q|%v|%t|%x|%05.1f\" 42 7 \"ab\" \"q\\\"\" .list true 255 3.14159}}", "42|    7|ab  |\"q\\\"\"|[a b c]|true|ff|003.1")]
    [InlineData("{{print 1 2 \"a\" 3 \"b\" \"c\"}}", "1 2a3bc")]
    [InlineData("{{.big}} {{.pi}} {{.one}}", "1e+06 3.5 1")]
    [InlineData("{{len .list}} {{len .map}} {{len .name}}", "3 3 3")]
    [InlineData("{{index .list 1}} {{index .map \"c\"}} {{index .users 1 \"name\"}}", "b 3 bob")]
    [InlineData("{{slice .name 1}} {{slice .list 1 2}}", "pp [b]")]
    [InlineData("{{and .yes .name}} {{and .no .name}} {{or .empty .name}} {{or .empty .zero}}", "app false app 0")]
    [InlineData("{{not .yes}} {{eq .one 1}} {{eq .name \"x\" \"app\"}} {{ne .name \"app\"}}", "false true true false")]
    [InlineData("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge .one 2}}", "true true true false")]
    [InlineData("{{define \"T\"}}<{{.}}>{{end}}{{template \"T\" .name}}{{template \"T\" \"x\"}}", "<app><x>")]
    [InlineData("{{block \"B\" .name}}[{{.}}]{{end}}", "[app]")]
    [InlineData("{{(index .users 0).name}}", "ann")]
    [InlineData("{{html \"<a href='x'>&\"}}", "&lt;a href=&#39;x&#39;&gt;&amp;")]
    [InlineData("{{urlquery \"a b&c\"}}", "a+b%26c")]
    [InlineData("{{ `raw \\n` }}", "raw \\n")]
    [InlineData("{{'a'}} {{0x1F}} {{1_000}} {{-3}}", "97 31 1000 -3")]
    [InlineData("{{.map}}", "map[a:1 b:2 c:3]")]
    [InlineData("{{nil | not}}", "true")]
    public void Executes_as_Go_does(string template, string expected)
    {
        Assert.Equal(expected, Run(template));
    }

    [Theory]
    [InlineData("{{.name", "t:1:1: unclosed action")]
    [InlineData("{{if .yes}}x", "t:1:13: unexpected EOF")]
    [InlineData("line1\n{{ nope .x }}", "t:2:4: function \"nope\" not defined")]
    [InlineData("{{end}}", "unexpected {{end}}")]
    [InlineData("{{break}}", "{{break}} outside {{range}}")]
    [InlineData("{{\"unterminated}}", "unterminated quoted string")]
    [InlineData("{{.a b}}", "function \"b\" not defined")]
    public void Parse_errors_name_template_line_and_column(string template, string expected)
    {
        var e = Assert.Throws<TemplateError>(() => GoTemplate.Parse("t", template, Functions));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("template: t:", e.Message);
    }

    [Theory]
    [InlineData("{{.missing.field}}", "nil pointer evaluating interface {}.field")]
    [InlineData("{{index .list 9}}", "error calling index: index out of range: 9")]
    [InlineData("{{$nope}}", "undefined variable: $nope")]
    [InlineData("{{template \"none\"}}", "no such template \"none\"")]
    [InlineData("{{lt .name 1}}", "incompatible types for comparison")]
    [InlineData("{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}", "exceeded maximum template depth")]
    public void Execution_errors_are_reported_not_thrown_through(string template, string expected)
    {
        var e = Assert.Throws<TemplateError>(() => Run(template));
        Assert.Contains(expected, e.Message);
    }
}
