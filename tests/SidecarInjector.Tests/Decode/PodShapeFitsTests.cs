using System.Text.Json;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Decode;

/// <summary>
/// The reader's check (<see cref="PodShape.Fits"/>, the hot path) and the parsed check (which names the
/// field) are one rule set read two ways: on random pods with one value anywhere replaced by a value of
/// another JSON type, they must agree on every pod.
/// </summary>
public sealed class PodShapeFitsTests
{
    [Fact]
    public void The_reader_and_the_parsed_check_agree_on_every_mutated_pod()
    {
        int refused = 0;
        for (int seed = 0; seed < 3000; seed++)
        {
            var (text, bytes) = MistypedPods.Make(seed);
            bool fits = PodShape.Fits(bytes);
            string? violation = null;
            try
            {
                using var document = JsonDocument.Parse(bytes);
                PodShape.Check(document.RootElement);
            }
            catch (InjectionException e)
            {
                violation = e.Message;
                refused++;
            }
            Assert.True(fits == (violation is null), $"seed {seed}: reader says {(fits ? "fits" : "does not fit")}, parsed check says {violation ?? "fits"}\n{text}");
        }
        Assert.True(refused > 300, $"only {refused} of 3,000 mutated pods were refused: the mutations do not reach the checked fields");
    }
}
