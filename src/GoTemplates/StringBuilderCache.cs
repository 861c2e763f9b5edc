using System.Text;

namespace GoTemplates;

/// <summary>
/// One builder per thread for the short strings functions make (printf, quote, print): a template
/// renders dozens of them per pod, each otherwise a new builder and its buffer. A builder taken and
/// not given back (an exception, a nested use) only costs a new one next time.
/// </summary>
internal static class StringBuilderCache
{
    /// <summary>Builders that grew past this are not kept: the strings functions make are short.</summary>
    private const int MaxKeptCapacity = 1024;

    [ThreadStatic]
    private static StringBuilder? t_cached;

    public static StringBuilder Acquire(int capacity = 64)
    {
        var cached = t_cached;
        if (cached is not null && capacity <= cached.Capacity)
        {
            t_cached = null;
            cached.Clear();
            return cached;
        }
        return new StringBuilder(capacity);
    }

    /// <summary>The builder's text; the builder is kept for the thread's next use.</summary>
    public static string ToStringAndRelease(StringBuilder builder)
    {
        var text = builder.ToString();
        if (builder.Capacity <= MaxKeptCapacity)
        {
            t_cached = builder;
        }
        return text;
    }
}
