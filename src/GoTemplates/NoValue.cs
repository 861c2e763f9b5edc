namespace GoTemplates;

/// <summary>A map key that is not there: Go prints it as "&lt;no value&gt;".</summary>
internal sealed class NoValue
{
    public static readonly NoValue Instance = new();
    private NoValue() { }
    public override string ToString() => "<no value>";
}
