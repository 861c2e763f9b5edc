using Microsoft.Extensions.Primitives;

namespace SidecarInjector.Hosting;

/// <summary>
/// Reads <c>Accept-Encoding</c> (RFC 9110, 12.5.3) for the one coding the injector may answer in:
/// gzip, named (or as <c>x-gzip</c>) with a weight above zero. A wildcard is not taken as consent:
/// a client that names no coding gets plain JSON, as every client can read it.
/// </summary>
internal static class AcceptEncoding
{
    public static bool AllowsGzip(StringValues header)
    {
        foreach (var value in header)
        {
            if (value is null)
            {
                continue;
            }
            var text = value.AsSpan();
            foreach (var range in text.Split(','))
            {
                var item = text[range];
                int semicolon = item.IndexOf(';');
                var coding = (semicolon < 0 ? item : item[..semicolon]).Trim();
                if ((coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || coding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                    && (semicolon < 0 || WeightAboveZero(item[(semicolon + 1)..])))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>The parameters after a coding: <c>q=0</c> (or 0.0, 0.000) or an empty weight refuses it; anything else leaves it accepted.</summary>
    private static bool WeightAboveZero(ReadOnlySpan<char> parameters)
    {
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            if (parameter.Length < 2 || (parameter[0] | 0x20) != 'q' || parameter[1] != '=')
            {
                continue;
            }
            var weight = parameter[2..].Trim();
            // A weight of zero, or none readable: not accepted (plain JSON is always understood).
            return weight.Length > 0 && !(weight[0] == '0' && !weight[1..].ContainsAnyExcept(".0"));
        }
        return true;
    }
}
