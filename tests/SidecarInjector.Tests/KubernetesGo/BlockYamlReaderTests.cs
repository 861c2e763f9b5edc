using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Render;
using SidecarInjector.Tests.Conformance;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.KubernetesGo;

/// <summary>
/// The reader of rendered templates against the full parser (YamlDotNet through YamlDocument):
/// whenever it reads a text, the tree must be the one the full parser makes; it must read what
/// Istio's templates render; and on anything else it gives up rather than guess.
/// </summary>
public sealed class BlockYamlReaderTests
{
    /// <summary>The full parser's tree, or null when it refuses the text.</summary>
    private static (bool Ok, JsonNode? Node) Full(string text)
    {
        try
        {
            return (true, YamlDocument.Parse(text, "test"));
        }
        catch (ConfigException)
        {
            return (false, null);
        }
    }

    /// <summary>The reader either gives up or agrees with the full parser; returns whether it read the text.</summary>
    private static bool AgreesWithFullParser(string text)
    {
        if (!BlockYamlReader.TryRead(text, out var fast))
        {
            return false;
        }
        var (ok, full) = Full(text);
        Assert.True(ok, "the reader read a text the full parser refuses:\n" + text);
        Assert.True(JsonNode.DeepEquals(full, fast), $"trees differ for:\n{text}\nfull: {full?.ToJsonString()}\nfast: {fast?.ToJsonString()}");
        return true;
    }

    [Theory]
    [InlineData("a: 1\nb: true\nc: yes\nd: ~\ne:\nf: '1'\ng: \"x\\ty\\u00e9\"\nh: 0x1F\ni: 1e3\nj: -5\nk: http://x:80/a#b\nl: a # comment\n")]
    [InlineData("spec:\n  containers:\n  - name: a\n    args:\n    - -c\n    - \"--x=1\"\n    env:\n      - name: E\n        value: |\n          {\"a\": 1}\n          line2\n  volumes: []\n")]
    [InlineData("metadata:\n  annotations: {\n    a.b/c: \"x\",\n    d: 'y',\n    e: 15020,\n  }\n  labels: {app: web, tier: [a, b]}\n")]
    [InlineData("a: |-\n  keep\n   indented\n\n  last\n\nb: |+\n  x\n\n\nc: 2\n")]
    [InlineData("- - a\n  - b\n- c: 1\n  d: 2\n-\n  e: 3\n- \n")]
    [InlineData("key with spaces: v\n\"quoted key\": w\n'it''s': x\n")]
    public void Reads_what_templates_write_exactly_as_the_full_parser(string text)
    {
        Assert.True(AgreesWithFullParser(text), "gave up on:\n" + text);
    }

    [Theory]
    [InlineData("a: &x 1\nb: *x\n")]
    [InlineData("a: !!str 1\n")]
    [InlineData("a: >\n  folded\n  text\n")]
    [InlineData("a: plain\n  continued\n")]
    [InlineData("a: \"two\n  lines\"\n")]
    [InlineData("---\na: 1\n---\nb: 2\n")]
    [InlineData("? complex\n: key\n")]
    [InlineData("a:\n\tb: 1\n")]
    [InlineData("<<: {a: 1}\n")]
    [InlineData("a: b: c\n")]
    [InlineData("just a scalar\n")]
    public void Gives_up_on_what_it_does_not_read(string text)
    {
        Assert.False(BlockYamlReader.TryRead(text, out _));
    }

    [Fact]
    public void Reads_the_shipped_default_templates_render()
    {
        var text = InProcess.DefaultConfig.Templates["sidecar"].RenderText(
            InjectionData.Build(Reviews.SamplePod(), "default", InProcess.DefaultConfig.Settings, "default"))!;
        Assert.True(AgreesWithFullParser(text), "gave up on the default template's output:\n" + text);
    }

    /// <summary>Every template of both corpora rendered for every pod of every case: read, and read alike.</summary>
    [Fact]
    public void Reads_every_sidecar_template_istio_renders_as_the_full_parser_does()
    {
        int read = 0, total = 0;
        var missed = new List<string>();
        foreach (var corpus in new[] { IstioCorpus.December, IstioCorpus.Head })
        {
            foreach (var c in corpus.Cases())
            {
                if (c!["skipWebhook"]!.GetValue<bool>() || c["expectedError"] is not null || c["want"] is null)
                {
                    continue;
                }
                var config = corpus.Settings(c.AsObject());
                foreach (var pod in IstioCorpus.Pods(corpus.Document(c["in"]!.GetValue<string>())))
                {
                    var ns = pod["metadata"]?["namespace"]?.ToString() ?? "default";
                    var data = InjectionData.Build(pod, ns, config.Settings, "default");
                    foreach (var name in new[] { "sidecar", "gateway", "grpc-agent", "grpc-simple" })
                    {
                        if (!config.Templates.TryGetValue(name, out var template))
                        {
                            continue;
                        }
                        string? text;
                        try
                        {
                            text = template.RenderText(data);
                        }
                        catch (GoTemplates.TemplateError)
                        {
                            continue;
                        }
                        if (text is null || !Full(text).Ok)
                        {
                            continue;
                        }
                        total++;
                        if (AgreesWithFullParser(text))
                        {
                            read++;
                        }
                        else if (missed.Count < 3)
                        {
                            missed.Add($"{corpus.Name} {c["index"]} {name}");
                        }
                    }
                }
            }
        }
        Assert.True(total > 300, $"only {total} renders");
        Assert.True(read == total, $"read {read} of {total}; gave up on {string.Join(", ", missed)}");
    }

    /// <summary>
    /// Rendered texts with random damage (characters that mean something in YAML inserted, lines
    /// indented or joined): whatever the reader reads, the full parser reads the same.
    /// </summary>
    [Fact]
    public void Damaged_texts_are_read_alike_or_left_to_the_full_parser()
    {
        var corpus = IstioCorpus.Head;
        var c = corpus.Case(96);
        var config = corpus.Settings(c);
        var pod = IstioCorpus.Pods(corpus.Document(c["in"]!.GetValue<string>()))[0];
        var sources = new List<string>
        {
            config.Templates["sidecar"].RenderText(InjectionData.Build(pod, "default", config.Settings, "default"))!,
            InProcess.DefaultConfig.Templates["sidecar"].RenderText(
                InjectionData.Build(Reviews.SamplePod(), "default", InProcess.DefaultConfig.Settings, "default"))!,
            "metadata:\n  annotations: {\n    a: \"x\",\n    b: 'y'\n  }\nspec:\n  containers:\n  - name: a\n    env:\n    - name: X\n      value: |\n        line\n",
        };
        // BLOCK_YAML_FUZZ_ROUNDS and _SEED run it longer, or differently, by hand.
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("BLOCK_YAML_FUZZ_ROUNDS"), out var r) ? r : 3000;
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("BLOCK_YAML_FUZZ_SEED"), out var seed) ? seed : 20261128);
        const string Specials = " \n-:#{}[],'\"|>&*!?%@`\t\\";
        int read = 0;
        for (int round = 0; round < rounds; round++)
        {
            var text = new StringBuilder(sources[round % sources.Count]);
            int damage = 1 + random.Next(3);
            for (int d = 0; d < damage; d++)
            {
                int at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0:
                        text.Insert(at, Specials[random.Next(Specials.Length)]);
                        break;
                    case 1:
                        text.Remove(at, 1);
                        break;
                    default:
                        int line = text.ToString().LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
                        text.Insert(line, ' ');
                        break;
                }
            }
            if (AgreesWithFullParser(text.ToString()))
            {
                read++;
            }
        }
        // Damage often leaves the text valid: the reader must have had a say in many rounds.
        Assert.True(read > rounds / 10, $"the reader read only {read} of {rounds} damaged texts");
    }
}
