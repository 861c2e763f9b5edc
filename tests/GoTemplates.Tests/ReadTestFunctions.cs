namespace GoTemplates.Tests;

/// <summary>The functions the read-analysis tests use: Go's builtins, a key test (isset) and a function declaring what it reads of a list (names).</summary>
internal static class ReadTestFunctions
{
    public static readonly FunctionTable Table = Builtins.AddTo(new FunctionTable())
        .Add("isset", 2, 2, a => a[0] is GoMap m && m.Entries.ContainsKey((string)a[1]!))
        .DeclareReads("isset", new ArgumentRead(0, "$1"))
        .Add("names", 1, 1, a => string.Join(",", ((List<object?>)a[0]!).Select(c => ((GoMap)c!).Entries.GetValueOrDefault("name"))))
        .DeclareReads("names", new ArgumentRead(0, "*", "name"))
        .Add("dump", 1, 1, a => GoValues.Print(a[0]));
}
