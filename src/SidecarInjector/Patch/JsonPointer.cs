namespace SidecarInjector.Patch;

/// <summary>
/// A JSON Pointer (RFC 6901) built segment by segment on one reusable buffer: push, use, pop.
/// </summary>
internal sealed class JsonPointer
{
    private char[] _chars = new char[256];
    private int _length;

    public ReadOnlySpan<char> Current => _chars.AsSpan(0, _length);

    /// <summary>Appends "/segment" with ~ and / escaped; returns the length to pop back to.</summary>
    public int Push(ReadOnlySpan<char> segment)
    {
        int mark = _length;
        Ensure(segment.Length * 2 + 1);
        _chars[_length++] = '/';
        foreach (var c in segment)
        {
            switch (c)
            {
                case '~':
                    _chars[_length++] = '~';
                    _chars[_length++] = '0';
                    break;
                case '/':
                    _chars[_length++] = '~';
                    _chars[_length++] = '1';
                    break;
                default:
                    _chars[_length++] = c;
                    break;
            }
        }
        return mark;
    }

    public int Push(int index)
    {
        Span<char> digits = stackalloc char[11];
        index.TryFormat(digits, out int written, provider: System.Globalization.CultureInfo.InvariantCulture);
        return Push(digits[..written]);
    }

    public void Pop(int mark) => _length = mark;

    public void Reset() => _length = 0;

    private void Ensure(int extra)
    {
        if (_length + extra > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _length + extra));
        }
    }
}
