namespace SidecarInjector.KubernetesGo;

/// <summary>Go's strconv parsing, where Istio reads annotation values with it.</summary>
internal static class GoStrconv
{
    /// <summary>
    /// strconv.ParseBool: exactly 1, t, T, TRUE, true, True or 0, f, F, FALSE, false, False (no
    /// other spelling, no spaces; .NET's bool.TryParse takes " tRuE " and refuses "1").
    /// </summary>
    public static bool TryParseBool(string? text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
