namespace GoTemplates;

/// <summary>
/// Go text/template's parser: tokens → a tree per template (the main one and each
/// <c>define</c>/<c>block</c>). Unknown functions are errors here, at load, as in Go.
/// </summary>
internal sealed class Parser
{
    private readonly string _name;
    private readonly string _text;
    private readonly List<Token> _tokens;
    private readonly Func<string, bool> _isFunction;
    private readonly Dictionary<string, ListNode> _definitions;
    private int _index;
    private int _rangeDepth;

    private Parser(string name, string text, List<Token> tokens, Func<string, bool> isFunction, Dictionary<string, ListNode> definitions)
    {
        _name = name;
        _text = text;
        _tokens = tokens;
        _isFunction = isFunction;
        _definitions = definitions;
    }

    /// <summary>Parses <paramref name="text"/>; its defines are added to <paramref name="definitions"/>.</summary>
    public static ListNode Parse(string name, string text, Func<string, bool> isFunction, Dictionary<string, ListNode> definitions)
    {
        var tokens = new Lexer(name, text).Lex();
        var parser = new Parser(name, text, tokens, isFunction, definitions);
        var (list, stop) = parser.ItemList(topLevel: true);
        if (stop is not null)
        {
            throw parser.Error(stop.Value.Position, $"unexpected {{{{{stop.Value.Text}}}}}");
        }
        return list;
    }

    private Token Peek => _tokens[_index];

    private Token Next() => _tokens[_index++];

    private Token NextNonSpace()
    {
        var t = Next();
        while (t.Kind == TokenKind.Space)
        {
            t = Next();
        }
        return t;
    }

    private Token PeekNonSpace()
    {
        int i = _index;
        while (_tokens[i].Kind == TokenKind.Space)
        {
            i++;
        }
        return _tokens[i];
    }

    /// <summary>Items until {{end}} or {{else}} (returned as the stop keyword token, with its delimiter consumed up to the keyword).</summary>
    private (ListNode List, Token? Stop) ItemList(bool topLevel)
    {
        var list = new ListNode(Peek.Position, []);
        while (true)
        {
            var token = Next();
            switch (token.Kind)
            {
                case TokenKind.Eof:
                    if (!topLevel)
                    {
                        throw Error(token.Position, "unexpected EOF");
                    }
                    return (list, null);
                case TokenKind.Text:
                    list.Nodes.Add(new TextNode(token.Position, token.Text));
                    break;
                case TokenKind.LeftDelim:
                    var keyword = PeekNonSpace();
                    if (keyword.Kind == TokenKind.Keyword && keyword.Text is "end" or "else")
                    {
                        NextNonSpace();
                        if (topLevel)
                        {
                            throw Error(keyword.Position, $"unexpected {{{{{keyword.Text}}}}}");
                        }
                        return (list, keyword);
                    }
                    var node = Action(token.Position, topLevel);
                    if (node is not null)
                    {
                        list.Nodes.Add(node);
                    }
                    break;
                default:
                    throw Error(token.Position, "unexpected " + token.Text);
            }
        }
    }

    private Node? Action(int position, bool topLevel)
    {
        var token = PeekNonSpace();
        if (token.Kind == TokenKind.Keyword)
        {
            NextNonSpace();
            switch (token.Text)
            {
                case "if":
                    return Branch(BranchKind.If, token.Position);
                case "with":
                    return Branch(BranchKind.With, token.Position);
                case "range":
                    return Branch(BranchKind.Range, token.Position);
                case "template":
                    return Template(token.Position);
                case "block":
                    return Block(token.Position);
                case "define":
                    if (!topLevel)
                    {
                        throw Error(token.Position, "unexpected {{define}}: not at top level");
                    }
                    Define();
                    return null;
                case "break" or "continue":
                    if (_rangeDepth == 0)
                    {
                        throw Error(token.Position, $"{{{{{token.Text}}}}} outside {{{{range}}}}");
                    }
                    ExpectRightDelim(token.Text);
                    return token.Text == "break" ? new BreakNode(token.Position) : new ContinueNode(token.Position);
            }
        }
        return new ActionNode(position, Pipeline("command", allowDeclarations: true));
    }

    private BranchNode Branch(BranchKind kind, int position)
    {
        var context = kind.ToString().ToLowerInvariant();
        var pipe = Pipeline(context, allowDeclarations: true);
        if (pipe.Commands.Count == 0)
        {
            throw Error(position, $"missing value for {context}");
        }
        if (kind == BranchKind.Range)
        {
            _rangeDepth++;
        }
        var (list, stop) = ItemList(topLevel: false);
        if (kind == BranchKind.Range)
        {
            _rangeDepth--;
        }
        ListNode? elseList = null;
        if (stop!.Value.Text == "else")
        {
            var after = PeekNonSpace();
            // {{else if ...}} / {{else with ...}}: the nested branch owns the final {{end}}.
            if (after.Kind == TokenKind.Keyword && (after.Text == "if" && kind == BranchKind.If || after.Text == "with" && kind == BranchKind.With))
            {
                NextNonSpace();
                var nested = Branch(kind, after.Position);
                elseList = new ListNode(after.Position, [nested]);
                return new BranchNode(position, kind, pipe, list, elseList);
            }
            ExpectRightDelim("else");
            var (elseItems, elseStop) = ItemList(topLevel: false);
            if (elseStop!.Value.Text != "end")
            {
                throw Error(elseStop.Value.Position, "expected end; found {{else}}");
            }
            elseList = elseItems;
        }
        ExpectRightDelim("end");
        return new BranchNode(position, kind, pipe, list, elseList);
    }

    private TemplateNode Template(int position)
    {
        var nameToken = NextNonSpace();
        var name = ParseStringToken(nameToken, "template");
        PipeNode? pipe = null;
        if (PeekNonSpace().Kind != TokenKind.RightDelim)
        {
            pipe = Pipeline("template", allowDeclarations: false);
        }
        else
        {
            ExpectRightDelim("template");
        }
        return new TemplateNode(position, name, pipe);
    }

    private TemplateNode Block(int position)
    {
        var nameToken = NextNonSpace();
        var name = ParseStringToken(nameToken, "block");
        var pipe = Pipeline("block", allowDeclarations: false);
        var (list, stop) = ItemList(topLevel: false);
        if (stop!.Value.Text != "end")
        {
            throw Error(stop.Value.Position, "unexpected {{else}} in block");
        }
        ExpectRightDelim("end");
        _definitions[name] = list;
        return new TemplateNode(position, name, pipe);
    }

    private void Define()
    {
        var nameToken = NextNonSpace();
        var name = ParseStringToken(nameToken, "define");
        ExpectRightDelim("define");
        var (list, stop) = ItemList(topLevel: false);
        if (stop!.Value.Text != "end")
        {
            throw Error(stop.Value.Position, "unexpected {{else}} in define");
        }
        ExpectRightDelim("end");
        _definitions[name] = list;
    }

    private string ParseStringToken(Token token, string context) => token.Kind switch
    {
        TokenKind.String => Literals.Unquote(token, Error),
        TokenKind.RawString => token.Text[1..^1],
        _ => throw Error(token.Position, $"unexpected \"{token.Text}\" in {context}"),
    };

    private void ExpectRightDelim(string context)
    {
        var token = NextNonSpace();
        if (token.Kind != TokenKind.RightDelim)
        {
            throw Error(token.Position, $"unexpected \"{token.Text}\" in {context}");
        }
    }

    private PipeNode Pipeline(string context, bool allowDeclarations)
    {
        int start = PeekNonSpace().Position;
        var variables = new List<string>();
        bool isAssign = false;
        if (allowDeclarations)
        {
            // $x := …, $x = …, or (range) $i, $v := …
            int save = _index;
            var first = NextNonSpace();
            if (first.Kind == TokenKind.Variable)
            {
                var op = NextNonSpace();
                if (op.Kind is TokenKind.Declare or TokenKind.Assign)
                {
                    variables.Add(first.Text);
                    isAssign = op.Kind == TokenKind.Assign;
                }
                else if (op.Kind == TokenKind.Comma && context == "range")
                {
                    var second = NextNonSpace();
                    var op2 = NextNonSpace();
                    if (second.Kind != TokenKind.Variable || op2.Kind is not (TokenKind.Declare or TokenKind.Assign))
                    {
                        throw Error(second.Position, "range can only initialize variables");
                    }
                    variables.Add(first.Text);
                    variables.Add(second.Text);
                    isAssign = op2.Kind == TokenKind.Assign;
                }
                else
                {
                    _index = save;
                }
            }
            else
            {
                _index = save;
            }
        }

        var commands = new List<CommandNode>();
        while (true)
        {
            var token = PeekNonSpace();
            if (token.Kind is TokenKind.RightDelim or TokenKind.RightParen)
            {
                if (token.Kind == TokenKind.RightDelim && context != "paren")
                {
                    NextNonSpace();
                }
                else if (token.Kind == TokenKind.RightParen && context == "paren")
                {
                    NextNonSpace();
                }
                else
                {
                    throw Error(token.Position, $"unexpected \"{token.Text}\" in {context}");
                }
                if (commands.Count == 0)
                {
                    throw Error(token.Position, $"missing value for {context}");
                }
                return new PipeNode(start, variables, isAssign, commands);
            }
            commands.Add(Command(context));
        }
    }

    private CommandNode Command(string context)
    {
        var command = new CommandNode(PeekNonSpace().Position, []);
        while (true)
        {
            var token = PeekNonSpace();
            if (token.Kind is TokenKind.RightDelim or TokenKind.RightParen)
            {
                break;
            }
            if (token.Kind == TokenKind.Pipe)
            {
                NextNonSpace();
                if (command.Args.Count == 0)
                {
                    throw Error(token.Position, "missing command");
                }
                return command;
            }
            if (token.Kind == TokenKind.Eof)
            {
                throw Error(token.Position, "unclosed action");
            }
            command.Args.Add(Operand());
            // Operands are separated by spaces; anything else right after an operand is an error.
            var after = Peek;
            if (after.Kind is not (TokenKind.Space or TokenKind.RightDelim or TokenKind.RightParen or TokenKind.Pipe))
            {
                throw Error(after.Position, $"unexpected \"{after.Text}\" in operand");
            }
        }
        if (command.Args.Count == 0)
        {
            throw Error(Peek.Position, $"empty command in {context}");
        }
        return command;
    }

    private Node Operand()
    {
        var term = Term();
        if (Peek.Kind != TokenKind.Field)
        {
            return term;
        }
        var fields = new List<string>();
        while (Peek.Kind == TokenKind.Field)
        {
            fields.Add(Next().Text[1..]);
        }
        return term switch
        {
            FieldNode f => new FieldNode(f.Pos, [.. f.Names, .. fields]),
            VariableNode v => new VariableNode(v.Pos, v.Name, [.. v.Fields, .. fields]),
            LiteralNode or NilNode => throw Error(term.Pos, "unexpected . after term"),
            _ => new ChainNode(term.Pos, term, [.. fields]),
        };
    }

    private Node Term()
    {
        var token = NextNonSpace();
        switch (token.Kind)
        {
            case TokenKind.Identifier:
                if (!_isFunction(token.Text))
                {
                    throw Error(token.Position, $"function \"{token.Text}\" not defined");
                }
                return new IdentifierNode(token.Position, token.Text);
            case TokenKind.Dot:
                return new DotNode(token.Position);
            case TokenKind.Nil:
                return new NilNode(token.Position);
            case TokenKind.Variable:
                var fields = new List<string>();
                while (Peek.Kind == TokenKind.Field)
                {
                    fields.Add(Next().Text[1..]);
                }
                return new VariableNode(token.Position, token.Text, [.. fields]);
            case TokenKind.Field:
                var names = new List<string> { token.Text[1..] };
                while (Peek.Kind == TokenKind.Field)
                {
                    names.Add(Next().Text[1..]);
                }
                return new FieldNode(token.Position, [.. names]);
            case TokenKind.Bool:
                return new LiteralNode(token.Position, token.Text == "true");
            case TokenKind.Number:
                return new LiteralNode(token.Position, Literals.Number(token, Error));
            case TokenKind.Char:
                var ch = Literals.Unquote(token, Error);
                return new LiteralNode(token.Position, (long)char.ConvertToUtf32(ch, 0));
            case TokenKind.String:
                return new LiteralNode(token.Position, Literals.Unquote(token, Error));
            case TokenKind.RawString:
                return new LiteralNode(token.Position, token.Text[1..^1]);
            case TokenKind.LeftParen:
                return Pipeline("paren", allowDeclarations: false);
            default:
                throw Error(token.Position, $"unexpected \"{token.Text}\" in operand");
        }
    }

    private TemplateError Error(int position, string message)
    {
        var (line, column) = TextPosition.LineAndColumn(_text, position);
        return new TemplateError(_name, line, column, message);
    }
}
