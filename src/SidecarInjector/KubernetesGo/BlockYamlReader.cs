using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// A reader for the YAML that injection templates render, straight into a JSON tree, without
/// YamlDotNet's event parser (which, per pod, was the largest cost of a fresh injection: most of
/// its time in string interning under a process-wide lock). It reads the subset templates are
/// written in — block mappings and sequences, plain and quoted scalars, literal blocks (<c>|</c>),
/// flow mappings and sequences — and resolves scalars exactly as <see cref="YamlDocument"/> does.
/// Anything else (anchors, aliases, tags, folded or multi-line plain scalars, complex keys, several
/// documents, tabs in indentation, anything it cannot be sure of) makes it give up, returning
/// false, and the caller reads the text with <see cref="YamlDocument"/>: it never guesses.
/// </summary>
internal sealed class BlockYamlReader
{
    private readonly string _text;
    private readonly List<(int Start, int End)> _lines = [];
    private int _line;
    // Nesting so far: deep documents are left to the full parser, which refuses them with a position.
    private int _depth;
    private const int MaxDepth = 100;
    // The indentation of the block collection holding the flow collection being read: its lines
    // must be indented more (a closing bracket excepted), as YamlDotNet requires.
    private int _flowParentIndent;

    private BlockYamlReader(string text)
    {
        _text = text;
        int start = 0;
        while (start <= text.Length)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }
            int contentEnd = end > start && text[end - 1] == '\r' ? end - 1 : end;
            _lines.Add((start, contentEnd));
            start = end + 1;
        }
    }

    /// <summary>Thrown inside the reader when the text leaves the subset; never escapes <see cref="TryRead"/>.</summary>
    private sealed class GiveUp : Exception;

    /// <summary>The tree the text makes, or false when the text needs the full parser.</summary>
    public static bool TryRead(string text, out JsonNode? node)
    {
        node = null;
        try
        {
            var reader = new BlockYamlReader(text);
            node = reader.ReadDocument();
            return true;
        }
        catch (GiveUp)
        {
            node = null;
            return false;
        }
    }

    private JsonNode? ReadDocument()
    {
        SkipBlankLines();
        if (_line >= _lines.Count)
        {
            return null;
        }
        var (start, end) = _lines[_line];
        var first = _text.AsSpan(start, end - start).TrimEnd();
        if (first.StartsWith("---") || first.StartsWith("%"))
        {
            throw new GiveUp();
        }
        int indent = Indent(_line);
        if (!IsSequenceEntry(_line, indent) && !IsMappingLine(_line, indent))
        {
            throw new GiveUp();
        }
        var node = ReadBlock(indent);
        SkipBlankLines();
        if (_line < _lines.Count)
        {
            // Something left at a lesser indentation, or a second document.
            throw new GiveUp();
        }
        return node;
    }

    private JsonNode ReadBlock(int indent)
    {
        Enter();
        var node = IsSequenceEntry(_line, indent) ? (JsonNode)ReadSequence(indent) : ReadMapping(indent);
        _depth--;
        return node;
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw new GiveUp();
        }
    }

    private JsonObject ReadMapping(int indent, JsonObject? into = null)
    {
        var map = into ?? new JsonObject();
        while (true)
        {
            if (_line >= _lines.Count || Indent(_line) != indent || !IsMappingLine(_line, indent))
            {
                return map;
            }
            var (start, end) = _lines[_line];
            int at = start + indent;
            string key = ReadKey(ref at, end);
            if (key == "<<")
            {
                throw new GiveUp();
            }
            // at: just after the ':'.
            map[key] = ReadValueAfterIndicator(at, end, indent, afterKey: true);
            SkipBlankLines();
        }
    }

    private JsonArray ReadSequence(int indent, JsonArray? into = null)
    {
        var list = into ?? new JsonArray();
        while (true)
        {
            if (_line >= _lines.Count || Indent(_line) != indent || !IsSequenceEntry(_line, indent))
            {
                return list;
            }
            var (start, end) = _lines[_line];
            int at = start + indent + 1;
            list.Add(ReadValueAfterIndicator(at, end, indent, afterKey: false));
            SkipBlankLines();
        }
    }

    /// <summary>
    /// The value after a mapping key's ':' or a sequence's '-' at <paramref name="at"/> on the current
    /// line: on the same line, or a block on the following lines. Leaves the reader on the next line.
    /// </summary>
    private JsonNode? ReadValueAfterIndicator(int at, int end, int parentIndent, bool afterKey)
    {
        int lineStart = _lines[_line].Start;
        while (at < end && _text[at] == ' ')
        {
            at++;
        }
        if (at < end && _text[at] == '\t')
        {
            throw new GiveUp();
        }
        if (at >= end || _text[at] == '#')
        {
            // Nothing on this line: a nested block, or null.
            _line++;
            SkipBlankLines();
            if (_line >= _lines.Count)
            {
                return null;
            }
            int next = Indent(_line);
            if (next > parentIndent)
            {
                return ReadBlock(next);
            }
            if (next == parentIndent && afterKey && IsSequenceEntry(_line, next))
            {
                return ReadSequence(next);
            }
            return null;
        }
        char c = _text[at];
        int column = at - lineStart;
        switch (c)
        {
            case '|':
                return ReadLiteral(at, end, parentIndent);
            case '[' or '{':
                {
                    int position = at;
                    _flowParentIndent = parentIndent;
                    var flow = ReadFlow(ref position);
                    EndOfLineAfterFlow(position);
                    return flow;
                }
            case '"' or '\'':
                {
                    int position = at;
                    var text = ReadQuoted(ref position, end);
                    // A quoted key of a compact mapping ("- "a": 1") is not in the subset.
                    RestIsComment(position, end);
                    _line++;
                    CheckNoContinuation(parentIndent);
                    return JsonValue.Create(text);
                }
            case '-' when at + 1 >= end || _text[at + 1] == ' ':
                // "- - x": a sequence in a sequence entry, read as a block at this column ("key: - x" is not YAML).
                return afterKey ? throw new GiveUp() : ReadSequenceAt(column);
            case '>' or '&' or '*' or '!' or '%' or '@' or '`' or '?':
                throw new GiveUp();
        }
        if (LooksLikeKey(at, end))
        {
            // A compact mapping in a sequence entry ("- name: x"): its keys line up at this column.
            if (afterKey)
            {
                // "key: key2: value" is not YAML.
                throw new GiveUp();
            }
            return ReadMappingAt(column);
        }
        var plain = ReadPlain(at, end);
        _line++;
        CheckNoContinuation(parentIndent);
        return YamlScalars.ResolvePlain(plain);
    }

    /// <summary>A mapping whose first key starts at <paramref name="column"/> of the current line.</summary>
    private JsonObject ReadMappingAt(int column)
    {
        Enter();
        // The rest of the mapping's keys sit at that column on the following lines.
        var map = new JsonObject();
        var (start, end) = _lines[_line];
        int at = start + column;
        string key = ReadKey(ref at, end);
        if (key == "<<")
        {
            throw new GiveUp();
        }
        map[key] = ReadValueAfterIndicator(at, end, column, afterKey: true);
        SkipBlankLines();
        ReadMapping(column, map);
        _depth--;
        return map;
    }

    private JsonArray ReadSequenceAt(int column)
    {
        Enter();
        var list = new JsonArray();
        var (start, end) = _lines[_line];
        list.Add(ReadValueAfterIndicator(start + column + 1, end, column, afterKey: false));
        SkipBlankLines();
        ReadSequence(column, list);
        _depth--;
        return list;
    }

    /// <summary>After a scalar value, the next content line must not be more indented (a multi-line plain scalar, or an error).</summary>
    private void CheckNoContinuation(int parentIndent)
    {
        SkipBlankLines();
        if (_line < _lines.Count && Indent(_line) > parentIndent)
        {
            throw new GiveUp();
        }
    }

    private string ReadKey(ref int at, int end)
    {
        string key;
        if (_text[at] is '"' or '\'')
        {
            key = ReadQuoted(ref at, end);
            if (at >= end || _text[at] != ':')
            {
                throw new GiveUp();
            }
            at++;
            return key;
        }
        int colon = FindKeyColon(at, end);
        if (colon < 0)
        {
            throw new GiveUp();
        }
        key = _text[at..colon].TrimEnd(' ');
        if (key.Length == 0 || key.Contains('\t', StringComparison.Ordinal))
        {
            throw new GiveUp();
        }
        at = colon + 1;
        return key;
    }

    /// <summary>The ':' that ends a plain key (followed by a space or the end of the line), or -1.</summary>
    private int FindKeyColon(int at, int end)
    {
        if (IsIndicatorStart(_text[at]))
        {
            return -1;
        }
        for (int i = at; i < end; i++)
        {
            char c = _text[i];
            if (c == ':' && (i + 1 == end || _text[i + 1] == ' '))
            {
                return i;
            }
            if (c == '#' && i > at && _text[i - 1] == ' ')
            {
                return -1;
            }
        }
        return -1;
    }

    private bool LooksLikeKey(int at, int end)
    {
        if (_text[at] is '"' or '\'')
        {
            int position = at;
            try
            {
                ReadQuoted(ref position, end);
            }
            catch (GiveUp)
            {
                return false;
            }
            return position < end && _text[position] == ':';
        }
        return FindKeyColon(at, end) >= 0;
    }

    private static bool IsIndicatorStart(char c) => c is '-' or '?' or ':' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*'
        or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`';

    /// <summary>A plain scalar to the end of the line (a comment after a space dropped, trailing spaces trimmed).</summary>
    private string ReadPlain(int at, int end)
    {
        char first = _text[at];
        if (first == '-' ? at + 1 >= end || _text[at + 1] == ' ' : IsIndicatorStart(first))
        {
            throw new GiveUp();
        }
        int stop = end;
        for (int i = at; i < end; i++)
        {
            char c = _text[i];
            if (c == '#' && _text[i - 1] == ' ')
            {
                stop = i;
                break;
            }
            if (c == ':' && (i + 1 == end || _text[i + 1] == ' '))
            {
                // "a: b: c", or a key where a value was expected.
                throw new GiveUp();
            }
            if (c == '\t')
            {
                throw new GiveUp();
            }
        }
        var value = _text[at..stop].TrimEnd(' ');
        return value;
    }

    private string ReadQuoted(ref int at, int end)
    {
        char quote = _text[at];
        // Most quoted scalars have no escape: taken as they stand, without a builder.
        int close = _text.IndexOf(quote, at + 1, end - at - 1);
        if (close > 0 && (close + 1 >= end || _text[close + 1] != quote)
            && (quote == '\'' || _text.IndexOf('\\', at + 1, close - at - 1) < 0))
        {
            var plain = _text.Substring(at + 1, close - at - 1);
            at = close + 1;
            return plain;
        }
        var value = new StringBuilder();
        int i = at + 1;
        while (true)
        {
            if (i >= end)
            {
                // A quoted scalar over several lines folds them: not in the subset.
                throw new GiveUp();
            }
            char c = _text[i];
            if (c == quote)
            {
                if (quote == '\'' && i + 1 < end && _text[i + 1] == '\'')
                {
                    value.Append('\'');
                    i += 2;
                    continue;
                }
                at = i + 1;
                return value.ToString();
            }
            if (quote == '"' && c == '\\')
            {
                if (i + 1 >= end)
                {
                    throw new GiveUp();
                }
                char e = _text[i + 1];
                i += 2;
                switch (e)
                {
                    case '"': value.Append('"'); break;
                    case '\\': value.Append('\\'); break;
                    case '/': value.Append('/'); break;
                    case 'n': value.Append('\n'); break;
                    case 't': value.Append('\t'); break;
                    case 'r': value.Append('\r'); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case '0': value.Append('\0'); break;
                    case ' ': value.Append(' '); break;
                    case 'u' when i + 4 <= end && ushort.TryParse(_text.AsSpan(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                        value.Append((char)code);
                        i += 4;
                        break;
                    default:
                        throw new GiveUp();
                }
                continue;
            }
            value.Append(c);
            i++;
        }
    }

    /// <summary>A literal block scalar (<c>|</c>, <c>|-</c>, <c>|+</c>) whose indicator is at <paramref name="at"/>.</summary>
    private JsonValue ReadLiteral(int at, int end, int parentIndent)
    {
        char chomp = ' ';
        int i = at + 1;
        if (i < end && _text[i] is '-' or '+')
        {
            chomp = _text[i];
            i++;
        }
        RestIsComment(i, end);
        _line++;
        // Content: the lines indented more than the parent, at the first content line's indentation.
        int contentIndent = -1;
        var content = new StringBuilder();
        int trailingNewlines = 0;
        bool any = false;
        // A last content line at the very end of the text has no line break to keep.
        bool lastHadBreak = false;
        while (_line < _lines.Count)
        {
            var (start, lineEnd) = _lines[_line];
            int spaces = 0;
            while (start + spaces < lineEnd && _text[start + spaces] == ' ')
            {
                spaces++;
            }
            bool blank = start + spaces == lineEnd;
            if (blank)
            {
                if (contentIndent >= 0 ? spaces > contentIndent : spaces > parentIndent + 1)
                {
                    // Spaces beyond the indentation on an empty line are content: not in the subset.
                    throw new GiveUp();
                }
                if (_line == _lines.Count - 1 && lineEnd == _text.Length)
                {
                    // The text's end, not an empty line.
                    _line++;
                    break;
                }
                trailingNewlines++;
                _line++;
                continue;
            }
            if (contentIndent < 0)
            {
                if (spaces <= parentIndent)
                {
                    break;
                }
                if (trailingNewlines > 0)
                {
                    // Leading empty lines before the first content line: not in the subset.
                    throw new GiveUp();
                }
                contentIndent = spaces;
            }
            else if (spaces < contentIndent)
            {
                if (spaces > parentIndent)
                {
                    // Less indented than the content but more than the parent: a YAML error.
                    throw new GiveUp();
                }
                break;
            }
            if (any)
            {
                content.Append('\n', 1 + trailingNewlines);
            }
            trailingNewlines = 0;
            content.Append(_text, start + contentIndent, lineEnd - start - contentIndent);
            any = true;
            lastHadBreak = lineEnd < _text.Length;
            _line++;
        }
        // The line break after the last content line, and the empty lines after it, by the chomping indicator.
        if (any && lastHadBreak)
        {
            switch (chomp)
            {
                case ' ':
                    content.Append('\n');
                    break;
                case '+':
                    content.Append('\n', 1 + trailingNewlines);
                    break;
            }
        }
        else if (chomp == '+')
        {
            throw new GiveUp();
        }
        return JsonValue.Create(content.ToString());
    }

    /// <summary>A flow mapping or sequence starting at <paramref name="at"/>, possibly over several lines.</summary>
    private JsonNode ReadFlow(ref int at)
    {
        Enter();
        char open = _text[at];
        char close = open == '{' ? '}' : ']';
        at++;
        JsonObject? map = open == '{' ? new JsonObject() : null;
        JsonArray? list = open == '[' ? new JsonArray() : null;
        while (true)
        {
            SkipFlowSpace(ref at);
            if (_text[at] == close)
            {
                at++;
                _depth--;
                return (JsonNode?)map ?? list!;
            }
            if (map is not null)
            {
                string key;
                bool quotedKey = _text[at] is '"' or '\'';
                if (quotedKey)
                {
                    key = ReadQuoted(ref at, LineEndOf(at));
                }
                else
                {
                    key = ReadFlowPlain(ref at, key: true);
                }
                SkipFlowSpace(ref at);
                if (_text[at] != ':')
                {
                    throw new GiveUp();
                }
                at++;
                if (!quotedKey && at < _text.Length && _text[at] is not (' ' or '\n' or '\r'))
                {
                    throw new GiveUp();
                }
                if (key == "<<")
                {
                    throw new GiveUp();
                }
                SkipFlowSpace(ref at);
                if (_text[at] is ',' or '}')
                {
                    throw new GiveUp();
                }
                map[key] = ReadFlowValue(ref at);
            }
            else
            {
                list!.Add(ReadFlowValue(ref at));
            }
            SkipFlowSpace(ref at);
            if (_text[at] == ',')
            {
                at++;
                continue;
            }
            if (_text[at] != close)
            {
                throw new GiveUp();
            }
        }
    }

    private JsonNode? ReadFlowValue(ref int at)
    {
        char c = _text[at];
        if (c is '{' or '[')
        {
            return ReadFlow(ref at);
        }
        if (c is '"' or '\'')
        {
            var text = ReadQuoted(ref at, LineEndOf(at));
            SkipFlowSpace(ref at);
            if (_text[at] == ':')
            {
                // A single-pair mapping inside a flow sequence: not in the subset.
                throw new GiveUp();
            }
            return JsonValue.Create(text);
        }
        return YamlScalars.ResolvePlain(ReadFlowPlain(ref at, key: false));
    }

    /// <summary>A plain scalar in a flow collection: it ends at , [ ] { } or ": "; one line only.</summary>
    private string ReadFlowPlain(ref int at, bool key)
    {
        char first = _text[at];
        if (first == '-' ? at + 1 >= _text.Length || _text[at + 1] is ' ' or '\n' or '\r' or ',' or ']' or '}' : IsIndicatorStart(first))
        {
            throw new GiveUp();
        }
        int start = at;
        while (at < _text.Length)
        {
            char c = _text[at];
            if (c is ',' or '[' or ']' or '{' or '}' or '\n' or '\r')
            {
                break;
            }
            if (c == ':' && (at + 1 >= _text.Length || _text[at + 1] is ' ' or '\n' or '\r' or ',' or '}' or ']'))
            {
                if (!key)
                {
                    throw new GiveUp();
                }
                break;
            }
            if (c == '#' && at > start && _text[at - 1] == ' ')
            {
                throw new GiveUp();
            }
            if (c is '\t')
            {
                throw new GiveUp();
            }
            at++;
        }
        var value = _text[start..at].TrimEnd(' ');
        if (at < _text.Length && _text[at] is '\n' or '\r')
        {
            // A plain scalar may go on on the next line (folded): only a delimiter may come next.
            int next = at;
            SkipFlowSpace(ref next);
            if (!(_text[next] is ',' or '}' or ']' || key && _text[next] == ':'))
            {
                throw new GiveUp();
            }
        }
        if (value.Length == 0)
        {
            throw new GiveUp();
        }
        return value;
    }

    /// <summary>Spaces and line breaks inside a flow collection (no comments, no tabs).</summary>
    private void SkipFlowSpace(ref int at)
    {
        bool newLine = false;
        int lineStart = 0;
        while (true)
        {
            if (at >= _text.Length)
            {
                throw new GiveUp();
            }
            char c = _text[at];
            if (c is '\n')
            {
                newLine = true;
                lineStart = at + 1;
                at++;
                continue;
            }
            if (c is ' ' or '\r')
            {
                at++;
                continue;
            }
            if (newLine && at - lineStart <= _flowParentIndent && c is not ('}' or ']'))
            {
                throw new GiveUp();
            }
            if (c is '#' or '\t')
            {
                throw new GiveUp();
            }
            return;
        }
    }

    private int LineEndOf(int at)
    {
        int end = _text.IndexOf('\n', at);
        if (end < 0)
        {
            end = _text.Length;
        }
        return end > at && _text[end - 1] == '\r' ? end - 1 : end;
    }

    /// <summary>After a flow collection closes: only a comment may follow on its line; the reader moves to the next line.</summary>
    private void EndOfLineAfterFlow(int position)
    {
        // Find the line the flow ended on.
        while (_line < _lines.Count && _lines[_line].End < position)
        {
            _line++;
        }
        if (_line >= _lines.Count)
        {
            throw new GiveUp();
        }
        RestIsComment(position, _lines[_line].End);
        _line++;
    }

    private void RestIsComment(int at, int end)
    {
        while (at < end && _text[at] == ' ')
        {
            at++;
        }
        if (at < end && !(_text[at] == '#' && _text[at - 1] == ' '))
        {
            throw new GiveUp();
        }
    }

    private void SkipBlankLines()
    {
        while (_line < _lines.Count)
        {
            var (start, end) = _lines[_line];
            int i = start;
            while (i < end && _text[i] == ' ')
            {
                i++;
            }
            if (i < end && _text[i] == '\t')
            {
                throw new GiveUp();
            }
            if (i < end && _text[i] != '#')
            {
                return;
            }
            _line++;
        }
    }

    private int Indent(int line)
    {
        var (start, end) = _lines[line];
        int i = start;
        while (i < end && _text[i] == ' ')
        {
            i++;
        }
        return i - start;
    }

    private bool IsSequenceEntry(int line, int indent)
    {
        var (start, end) = _lines[line];
        int at = start + indent;
        return at < end && _text[at] == '-' && (at + 1 == end || _text[at + 1] == ' ');
    }

    private bool IsMappingLine(int line, int indent)
    {
        var (start, end) = _lines[line];
        int at = start + indent;
        return at < end && LooksLikeKey(at, end);
    }
}
