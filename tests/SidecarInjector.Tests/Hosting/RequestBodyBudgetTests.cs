using SidecarInjector.CommandLine;
using SidecarInjector.Hosting;

namespace SidecarInjector.Tests.Hosting;

public sealed class RequestBodyBudgetTests
{
    [Fact]
    public void Reviews_fit_until_the_budget_is_spent_and_fit_again_once_released()
    {
        var budget = new RequestBodyBudget(100);

        Assert.True(budget.TryReserve(60));
        Assert.True(budget.TryReserve(40));
        Assert.False(budget.TryReserve(1));
        Assert.Equal(100, budget.InFlightBytes);

        budget.Release(40);
        Assert.True(budget.TryReserve(30));
        Assert.Equal(90, budget.InFlightBytes);
    }

    [Fact]
    public void One_review_is_admitted_alone_even_when_larger_than_the_budget()
    {
        var budget = new RequestBodyBudget(100);

        Assert.True(budget.TryReserve(500));
        Assert.False(budget.TryReserve(10));
        budget.Release(500);
        Assert.Equal(0, budget.InFlightBytes);
    }

    [Fact]
    public void A_growing_body_may_grow_past_the_budget_only_while_it_is_alone()
    {
        var alone = new RequestBodyBudget(100);
        Assert.True(alone.TryReserve(80));
        Assert.True(alone.TryReserve(80, held: 80));
        Assert.False(alone.TryReserve(10));

        var shared = new RequestBodyBudget(100);
        Assert.True(shared.TryReserve(50));
        Assert.True(shared.TryReserve(30));
        Assert.False(shared.TryReserve(40, held: 30));
    }

    [Fact]
    public void The_default_leaves_the_idle_heap_and_scales_with_the_limit()
    {
        const long MiB = 1024 * 1024;
        // 128 MiB pod: the binary gives the GC 50 % of it.
        long heap = 128 * MiB / 2;
        long pod = RequestBodyBudget.DefaultFor(heap);
        Assert.InRange(pod, 3 * MiB, 5 * MiB);
        // Reviews of the budget's size at once fit beside an idle injector, and so does the largest accepted review alone.
        Assert.True(pod * RequestBodyBudget.WorkingBytesPerBodyByte + RequestBodyBudget.IdleHeapBytes <= heap);
        Assert.True(ServeOptions.DefaultMaxRequestBytes * RequestBodyBudget.WorkingBytesPerBodyByte + RequestBodyBudget.IdleHeapBytes <= heap);
        Assert.True(RequestBodyBudget.DefaultFor(384 * MiB) > pod);
        Assert.Equal(1 * MiB, RequestBodyBudget.DefaultFor(16 * MiB));
        Assert.Equal(64 * MiB, RequestBodyBudget.DefaultFor(24L * 1024 * MiB));
    }

    [Fact]
    public async Task Concurrent_reservations_never_overshoot()
    {
        var budget = new RequestBodyBudget(1000);
        Assert.True(budget.TryReserve(1));
        long peak = 0;
        await Parallel.ForAsync(0, 20_000, (i, _) =>
        {
            if (budget.TryReserve(100))
            {
                long now = budget.InFlightBytes;
                long seen;
                do
                {
                    seen = Interlocked.Read(ref peak);
                }
                while (now > seen && Interlocked.CompareExchange(ref peak, now, seen) != seen);
                budget.Release(100);
            }
            return ValueTask.CompletedTask;
        });
        Assert.InRange(peak, 101, 1000);
        Assert.Equal(1, budget.InFlightBytes);
    }
}
