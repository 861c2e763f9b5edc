using SidecarInjector.CommandLine;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>The help a user reads: every serve flag listed with its variable, its help in one column, never run into the flag.</summary>
public sealed class HelpTextTests
{
    [Fact]
    public void Every_serve_flag_is_listed_with_its_help_in_one_column_apart_from_the_flag()
    {
        var lines = HelpText.Build().Split('\n');
        var columns = new HashSet<int>();
        foreach (var (flag, value, help) in CommandLineParser.ServeFlags)
        {
            var left = value is null ? flag : flag + " " + value;
            var line = Assert.Single(lines, l => l.StartsWith("  " + left + " ", StringComparison.Ordinal));
            int column = line.IndexOf(help, StringComparison.Ordinal);
            Assert.True(column >= 2 + left.Length + 2, $"the help of {flag} runs into it: '{line}'");
            Assert.Equal(left, line[2..column].TrimEnd());
            columns.Add(column);
            Assert.Contains(lines, l => l.TrimEnd() == new string(' ', column) + "env " + CommandLineParser.EnvName(flag));
        }
        Assert.Single(columns);
    }
}
