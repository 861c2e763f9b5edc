namespace SidecarInjector.Answer;

/// <summary>
/// CRC-32 as gzip's trailer holds it (ISO 3309, reflected, polynomial 0xEDB88320), kept as a running
/// state: a remembered answer's state after its constant part is continued over each review's uid.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The state before any byte.</summary>
    public const uint Start = 0xFFFFFFFFu;

    public static uint Append(uint state, ReadOnlySpan<byte> bytes)
    {
        var table = Table;
        foreach (var b in bytes)
        {
            state = table[(state ^ b) & 0xFF] ^ (state >> 8);
        }
        return state;
    }

    /// <summary>The checksum of the bytes a state has seen.</summary>
    public static uint Finish(uint state) => ~state;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
