using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Measurement;

/// <summary>What one call of an operation allocates, averaged over several calls.</summary>
internal sealed record Allocations(double TensorsCreated, double LiveTensorDelta, double ManagedBytes);

internal static class AllocationProbe
{
    public static Allocations Measure(Action run, int calls)
    {
        run(); // first-call costs (JIT, lazy state) are not per-update allocations
        DisposeScopeManager.Statistics.Reset();
        long live = Tensor.TotalCount;
        long managed = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
        {
            run();
        }

        long managedAfter = GC.GetAllocatedBytesForCurrentThread();
        long liveAfter = Tensor.TotalCount;
        long created = DisposeScopeManager.Statistics.CreatedOutsideScopeCount + DisposeScopeManager.Statistics.CreatedInScopeCount;
        return new Allocations((double)created / calls, (double)(liveAfter - live) / calls, (double)(managedAfter - managed) / calls);
    }
}
