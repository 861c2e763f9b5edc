namespace GoTemplates;

/// <summary>The parse tree of a Go template; <see cref="Pos"/> is an offset into the template text.</summary>
internal abstract record Node(int Pos);

internal sealed record ListNode(int Pos, List<Node> Nodes) : Node(Pos);

internal sealed record TextNode(int Pos, string Text) : Node(Pos);

internal sealed record ActionNode(int Pos, PipeNode Pipe) : Node(Pos);

internal enum BranchKind
{
    If,
    With,
    Range,
}

/// <summary>if / with / range: the pipeline, the body, and the optional else body.</summary>
internal sealed record BranchNode(int Pos, BranchKind Kind, PipeNode Pipe, ListNode List, ListNode? Else) : Node(Pos);

internal sealed record TemplateNode(int Pos, string Name, PipeNode? Pipe) : Node(Pos);

internal sealed record BreakNode(int Pos) : Node(Pos);

internal sealed record ContinueNode(int Pos) : Node(Pos);

/// <summary>Commands joined by |, optionally declaring (:=) or assigning (=) variables.</summary>
internal sealed record PipeNode(int Pos, List<string> Variables, bool IsAssign, List<CommandNode> Commands) : Node(Pos);

internal sealed record CommandNode(int Pos, List<Node> Args) : Node(Pos);

internal sealed record FieldNode(int Pos, string[] Names) : Node(Pos);

/// <summary>$name, optionally followed by fields: $x.A.B.</summary>
internal sealed record VariableNode(int Pos, string Name, string[] Fields) : Node(Pos);

/// <summary>A function name.</summary>
internal sealed record IdentifierNode(int Pos, string Name) : Node(Pos);

/// <summary>(pipeline).Field.Field</summary>
internal sealed record ChainNode(int Pos, Node Target, string[] Fields) : Node(Pos);

internal sealed record DotNode(int Pos) : Node(Pos);

internal sealed record NilNode(int Pos) : Node(Pos);

internal sealed record LiteralNode(int Pos, object Value) : Node(Pos);
