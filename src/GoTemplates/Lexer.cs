namespace GoTemplates;

/// <summary>
/// Go text/template's lexer: text outside <c>{{ }}</c>, trim markers (<c>{{- </c> and <c> -}}</c>),
/// comments, and the tokens of actions. Produces the whole token list up front.
/// </summary>
internal sealed class Lexer
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
    };

    private readonly string _name;
    private readonly string _text;
    private readonly List<Token> _tokens = [];
    private int _pos;
    private int _parenDepth;

    public Lexer(string name, string text)
    {
        _name = name;
        _text = text;
    }

    public List<Token> Lex()
    {
        while (_pos < _text.Length)
        {
            int open = _text.IndexOf("{{", _pos, StringComparison.Ordinal);
            if (open < 0)
            {
                Emit(TokenKind.Text, _text[_pos..], _pos);
                _pos = _text.Length;
                break;
            }
            int textEnd = open;
            bool trimLeft = open + 3 < _text.Length && _text[open + 2] == '-' && IsSpace(_text[open + 3]);
            if (trimLeft)
            {
                while (textEnd > _pos && IsSpace(_text[textEnd - 1]))
                {
                    textEnd--;
                }
            }
            if (textEnd > _pos)
            {
                Emit(TokenKind.Text, _text[_pos..textEnd], _pos);
            }
            _pos = open + (trimLeft ? 3 : 2);
            LexAction(open);
        }
        Emit(TokenKind.Eof, "", _text.Length);
        return _tokens;
    }

    private bool Matches(int at, string s) => _text.AsSpan(at).StartsWith(s, StringComparison.Ordinal);

    private void LexAction(int open)
    {
        // A comment is the whole action: {{/* ... */}}, with optional trim markers.
        int save = _pos;
        SkipSpaces();
        if (Matches(_pos, "/*"))
        {
            int close = _text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw Error(open, "unclosed comment");
            }
            _pos = close + 2;
            SkipSpaces();
            if (Matches(_pos, "-}}"))
            {
                _pos += 3;
                TrimFollowingSpace();
            }
            else if (Matches(_pos, "}}"))
            {
                _pos += 2;
            }
            else
            {
                throw Error(_pos, "comment ends before closing delimiter");
            }
            return;
        }
        _pos = save;
        Emit(TokenKind.LeftDelim, "{{", open);
        _parenDepth = 0;
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error(open, "unclosed action");
            }
            char c = _text[_pos];
            if (IsSpace(c))
            {
                int start = _pos;
                while (_pos < _text.Length && IsSpace(_text[_pos]))
                {
                    _pos++;
                }
                if (Matches(_pos, "-}}") && _pos > start)
                {
                    Emit(TokenKind.RightDelim, "}}", _pos);
                    _pos += 3;
                    TrimFollowingSpace();
                    return;
                }
                Emit(TokenKind.Space, " ", start);
                continue;
            }
            if (Matches(_pos, "}}"))
            {
                if (_parenDepth > 0)
                {
                    throw Error(_pos, "unclosed left paren");
                }
                Emit(TokenKind.RightDelim, "}}", _pos);
                _pos += 2;
                return;
            }
            switch (c)
            {
                case '|':
                    Emit(TokenKind.Pipe, "|", _pos++);
                    continue;
                case '(':
                    _parenDepth++;
                    Emit(TokenKind.LeftParen, "(", _pos++);
                    continue;
                case ')':
                    if (--_parenDepth < 0)
                    {
                        throw Error(_pos, "unexpected right paren");
                    }
                    Emit(TokenKind.RightParen, ")", _pos++);
                    continue;
                case ',':
                    Emit(TokenKind.Comma, ",", _pos++);
                    continue;
                case ':':
                    if (Matches(_pos, ":="))
                    {
                        Emit(TokenKind.Declare, ":=", _pos);
                        _pos += 2;
                        continue;
                    }
                    throw Error(_pos, "expected :=");
                case '=':
                    Emit(TokenKind.Assign, "=", _pos++);
                    continue;
                case '"':
                    LexQuoted('"', TokenKind.String);
                    continue;
                case '`':
                    LexRaw();
                    continue;
                case '\'':
                    LexQuoted('\'', TokenKind.Char);
                    continue;
                case '$':
                    LexVariable();
                    continue;
                case '.':
                    if (_pos + 1 < _text.Length && char.IsAsciiDigit(_text[_pos + 1]))
                    {
                        LexNumber();
                    }
                    else
                    {
                        LexField();
                    }
                    continue;
            }
            if (c is '+' or '-' || char.IsAsciiDigit(c))
            {
                LexNumber();
                continue;
            }
            if (IsIdentifierChar(c))
            {
                int start = _pos;
                while (_pos < _text.Length && IsIdentifierChar(_text[_pos]))
                {
                    _pos++;
                }
                var word = _text[start.._pos];
                var kind = Keywords.Contains(word) ? TokenKind.Keyword
                    : word is "true" or "false" ? TokenKind.Bool
                    : word == "nil" ? TokenKind.Nil
                    : TokenKind.Identifier;
                Emit(kind, word, start);
                continue;
            }
            throw Error(_pos, $"unexpected \"{c}\" in command");
        }
    }

    private void TrimFollowingSpace()
    {
        while (_pos < _text.Length && IsSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private void SkipSpaces()
    {
        while (_pos < _text.Length && IsSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private void LexVariable()
    {
        int start = _pos++;
        while (_pos < _text.Length && IsIdentifierChar(_text[_pos]))
        {
            _pos++;
        }
        Emit(TokenKind.Variable, _text[start.._pos], start);
        LexChainTail();
    }

    private void LexField()
    {
        int start = _pos++;
        if (_pos >= _text.Length || !IsIdentifierChar(_text[_pos]))
        {
            Emit(TokenKind.Dot, ".", start);
            return;
        }
        while (_pos < _text.Length && IsIdentifierChar(_text[_pos]))
        {
            _pos++;
        }
        Emit(TokenKind.Field, _text[start.._pos], start);
    }

    /// <summary>A variable may be followed directly by .Field chains: $x.Name.</summary>
    private void LexChainTail()
    {
        while (_pos + 1 < _text.Length && _text[_pos] == '.' && IsIdentifierChar(_text[_pos + 1]))
        {
            LexField();
        }
    }

    private void LexNumber()
    {
        int start = _pos;
        if (_text[_pos] is '+' or '-')
        {
            _pos++;
        }
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '.' or '_'
            || (_text[_pos] is '+' or '-' && _text[_pos - 1] is 'e' or 'E' or 'p' or 'P')))
        {
            _pos++;
        }
        Emit(TokenKind.Number, _text[start.._pos], start);
    }

    private void LexQuoted(char quote, TokenKind kind)
    {
        int start = _pos++;
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Error(start, "unterminated quoted string");
            }
            char c = _text[_pos++];
            if (c == '\\')
            {
                _pos++;
            }
            else if (c == quote)
            {
                break;
            }
        }
        Emit(kind, _text[start.._pos], start);
    }

    private void LexRaw()
    {
        int start = _pos++;
        int close = _text.IndexOf('`', _pos);
        if (close < 0)
        {
            throw Error(start, "unterminated raw quoted string");
        }
        _pos = close + 1;
        Emit(TokenKind.RawString, _text[start.._pos], start);
    }

    private void Emit(TokenKind kind, string text, int position) => _tokens.Add(new Token(kind, text, position));

    internal static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsIdentifierChar(char c) => c == '_' || char.IsLetterOrDigit(c);

    private TemplateError Error(int position, string message)
    {
        var (line, column) = TextPosition.LineAndColumn(_text, position);
        return new TemplateError(_name, line, column, message);
    }
}
