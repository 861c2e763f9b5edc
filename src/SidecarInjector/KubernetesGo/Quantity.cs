using System.Globalization;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// Kubernetes resource.Quantity's canonical form, as the Go client writes it: "2000m" is "2",
/// "1024Mi" is "1Gi", binary amounts under 1024 or with fractions are written in decimal SI.
/// </summary>
internal static class Quantity
{
    private static readonly (string Suffix, int Exponent)[] DecimalSuffixes =
        [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];
    private static readonly (string Suffix, int Power)[] BinarySuffixes =
        [("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)];

    private enum Format
    {
        DecimalSI,
        BinarySI,
        DecimalExponent,
    }

    /// <summary>The canonical text, or the input unchanged when it is not a quantity we can read.</summary>
    public static string Canonical(string text)
    {
        if (!TryParse(text.Trim(), out var value, out var format))
        {
            return text;
        }
        if (value == 0)
        {
            return "0";
        }
        if (format == Format.BinarySI)
        {
            if (value > -1024 && value < 1024 || value != decimal.Truncate(value))
            {
                format = Format.DecimalSI;
            }
            else
            {
                int power = 0;
                var amount = value;
                while (power < 6 && amount % 1024 == 0)
                {
                    amount /= 1024;
                    power++;
                }
                return amount.ToString(CultureInfo.InvariantCulture) + (power == 0 ? "" : BinarySuffixes[power - 1].Suffix);
            }
        }
        // Decimal: the largest exponent, a multiple of 3, that keeps the mantissa whole.
        int exponent = -9;
        var mantissa = decimal.Round(value * 1_000_000_000m, 0, MidpointRounding.AwayFromZero);
        while (exponent < 18 && mantissa % 1000 == 0)
        {
            mantissa /= 1000;
            exponent += 3;
        }
        var digits = mantissa.ToString(CultureInfo.InvariantCulture);
        if (format == Format.DecimalExponent)
        {
            return exponent == 0 ? digits : digits + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (suffix, e) in DecimalSuffixes)
        {
            if (e == exponent)
            {
                return digits + suffix;
            }
        }
        return digits;
    }

    /// <summary>Whether resource.Quantity would read the text.</summary>
    public static bool IsValid(string text)
    {
        try
        {
            return TryParse(text.Trim(), out _, out _);
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static bool TryParse(string text, out decimal value, out Format format)
    {
        value = 0;
        format = Format.DecimalSI;
        int end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or '+' or '-'))
        {
            end++;
        }
        if (end == 0 || !decimal.TryParse(text[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var suffix = text[end..];
        foreach (var (s, power) in BinarySuffixes)
        {
            if (suffix == s)
            {
                format = Format.BinarySI;
                value = number * (decimal)Math.Pow(1024, power);
                return true;
            }
        }
        foreach (var (s, exponent) in DecimalSuffixes)
        {
            if (suffix == s)
            {
                value = number * (decimal)Math.Pow(10, exponent);
                return true;
            }
        }
        if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var power10))
        {
            format = Format.DecimalExponent;
            value = number * (decimal)Math.Pow(10, power10);
            return true;
        }
        return false;
    }
}
