using SidecarInjector.Answer;
using SidecarInjector.Decode;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The projection's pass is also the fresh pod's type check (a projected pod gets no other): on random pods
/// with one value anywhere of the wrong JSON type, pruned values included, it must find a misfit exactly
/// when <see cref="PodShape.Fits"/> does, and never give a projection of a pod that does not fit.
/// </summary>
public sealed class PodProjectionTypeCheckTests
{
    [Fact]
    public void The_projection_finds_a_misfit_exactly_when_the_type_check_does()
    {
        var fields = PrunableFields.For(InProcess.DefaultConfig);
        using var projection = new PodProjection();
        int misfits = 0, projected = 0;
        for (int seed = 0; seed < 3000; seed++)
        {
            var (text, bytes) = MistypedPods.Make(seed);
            bool fits = PodShape.Fits(bytes);
            bool built = projection.Build(bytes, fields);
            Assert.True(fits != projection.Misfit, $"seed {seed}: the type check says {(fits ? "fits" : "does not fit")}, the projection {(projection.Misfit ? "found a misfit" : "did not")}\n{text}");
            Assert.False(built && !fits, $"seed {seed}: a projection was built of a pod that does not fit\n{text}");
            misfits += projection.Misfit ? 1 : 0;
            projected += built ? 1 : 0;
        }
        Assert.True(misfits > 300, $"only {misfits} of 3,000 mutated pods were misfits: the mutations do not reach the checked fields");
        Assert.True(projected > 300, $"only {projected} of 3,000 mutated pods were projected: the check was hardly exercised on projected pods");
    }
}
