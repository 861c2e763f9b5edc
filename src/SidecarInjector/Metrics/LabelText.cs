using System.Buffers;
using System.Globalization;

namespace SidecarInjector.Metrics;

/// <summary>Formats tags as Prometheus label text (<c>a="x",b="y"</c>) into a caller's buffer.</summary>
internal static class LabelText
{
    public static ReadOnlySpan<char> Format(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> scratch, out char[]? rented)
    {
        rented = null;
        if (tags.IsEmpty)
        {
            return [];
        }
        var buffer = scratch;
        while (true)
        {
            if (TryFormat(tags, buffer, out int written))
            {
                return buffer[..written];
            }
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
            rented = ArrayPool<char>.Shared.Rent(buffer.Length * 2);
            buffer = rented;
        }
    }

    private static bool TryFormat(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> buffer, out int written)
    {
        written = 0;
        for (int t = 0; t < tags.Length; t++)
        {
            if (t > 0 && !Put(buffer, ref written, ','))
            {
                return false;
            }
            foreach (var c in tags[t].Key)
            {
                if (!Put(buffer, ref written, char.IsAsciiLetterOrDigit(c) ? c : '_'))
                {
                    return false;
                }
            }
            if (!Put(buffer, ref written, '=') || !Put(buffer, ref written, '"'))
            {
                return false;
            }
            var value = tags[t].Value switch
            {
                null => "",
                string s => s,
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var other => other.ToString() ?? "",
            };
            foreach (var c in value)
            {
                var ok = c switch
                {
                    '\\' => Put(buffer, ref written, '\\') && Put(buffer, ref written, '\\'),
                    '"' => Put(buffer, ref written, '\\') && Put(buffer, ref written, '"'),
                    '\n' => Put(buffer, ref written, '\\') && Put(buffer, ref written, 'n'),
                    _ => Put(buffer, ref written, c),
                };
                if (!ok)
                {
                    return false;
                }
            }
            if (!Put(buffer, ref written, '"'))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Put(Span<char> buffer, ref int written, char c)
    {
        if (written >= buffer.Length)
        {
            return false;
        }
        buffer[written++] = c;
        return true;
    }
}
