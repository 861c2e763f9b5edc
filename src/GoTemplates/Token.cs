namespace GoTemplates;

internal enum TokenKind
{
    Text,
    LeftDelim,
    RightDelim,
    Comment,
    Identifier,
    Keyword,
    Field,
    Variable,
    Dot,
    String,
    RawString,
    Char,
    Number,
    Bool,
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
    Space,
    Eof,
}

/// <summary>One lexeme; <see cref="Position"/> is the offset in the template text.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Position);
