namespace GoTemplates;

/// <summary>Line and column of an offset in a template's text, as Go's template errors give them (1-based).</summary>
internal static class TextPosition
{
    public static (int Line, int Column) LineAndColumn(string text, int index)
    {
        int line = 1, column = 1;
        for (int i = 0; i < index; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return (line, column);
    }
}
