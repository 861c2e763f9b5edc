using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// Where a string value sits in its YAML text, so that a problem found inside the value (a
/// template in a ConfigMap, a ConfigMap's data in a manifest) is reported at the line of the file
/// the user edits, not at a line of the value.
/// </summary>
internal static class YamlPositions
{
    /// <summary>
    /// Line 1, column 1 of a value placed in its file: the file's line of the value's first line and
    /// the columns of indentation before each of its lines.
    /// </summary>
    internal readonly record struct Placement(int FirstLine, int Indent)
    {
        public static readonly Placement Whole = new(1, 0);

        /// <summary>A 1-based position in the value as a position in the file (0 stays unknown).</summary>
        public (int Line, int Column) Map(int line, int column) =>
            line <= 0 ? (0, 0) : (FirstLine + line - 1, column <= 0 ? 0 : column + Indent);
    }

    /// <summary>
    /// The placement of the literal block scalar (<c>|</c>, as kubectl and Helm write multi-line
    /// strings) at <paramref name="path"/> of document <paramref name="document"/>, or null when the
    /// value is not there or not a literal block (the lines of a quoted or folded string do not map one to one).
    /// </summary>
    public static Placement? BlockScalar(string text, int document, params string[] path)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            for (int d = 0; parser.TryConsume<DocumentStart>(out _); d++)
            {
                if (d == document)
                {
                    return Find(parser, path, 0, text);
                }
                SkipNode(parser);
                parser.Consume<DocumentEnd>();
            }
        }
        catch (YamlException)
        {
        }
        catch (InvalidOperationException)
        {
        }
        return null;
    }

    private static Placement? Find(IParser parser, string[] path, int depth, string text)
    {
        if (depth == path.Length)
        {
            return parser.Current is Scalar { Style: ScalarStyle.Literal } scalar ? ContentOf(scalar, text) : null;
        }
        if (!parser.TryConsume<MappingStart>(out _))
        {
            return null;
        }
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var key = parser.Consume<Scalar>();
            if (key.Value == path[depth])
            {
                return Find(parser, path, depth + 1, text);
            }
            SkipNode(parser);
        }
        return null;
    }

    /// <summary>A block scalar's content starts on the line after its indicator, at the first line's indentation.</summary>
    private static Placement ContentOf(Scalar scalar, string text)
    {
        int line = (int)scalar.Start.Line + 1;
        var lines = text.Split('\n');
        int indent = 0;
        for (int i = line - 1; i < lines.Length; i++)
        {
            var l = lines[i].TrimEnd('\r');
            if (l.Trim().Length == 0)
            {
                continue;
            }
            indent = l.Length - l.TrimStart(' ').Length;
            break;
        }
        return new Placement(line, indent);
    }

    private static void SkipNode(IParser parser)
    {
        int depth = 0;
        do
        {
            var current = parser.Current;
            parser.MoveNext();
            depth += current switch
            {
                MappingStart or SequenceStart => 1,
                MappingEnd or SequenceEnd => -1,
                _ => 0,
            };
        }
        while (depth > 0);
    }
}
