using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// A long run of a small model: the EMA must not leak tensors or memory per update. CI runs
/// <see cref="DefaultUpdates"/> updates (a few seconds); <c>EMA_SOAK_UPDATES=10000000</c> runs a longer soak.
/// </summary>
[Collection(nameof(TensorCountTests))]
public sealed class SoakTests(ITestOutputHelper output)
{
    public const int DefaultUpdates = 100_000;

    /// <summary>Validation swaps as a trainer does them, once per "epoch" of this many updates.</summary>
    private const int UpdatesPerEpoch = 1_000;

    private const int WarmUp = 10_000;

    [Fact]
    public void A_hundred_thousand_updates_keep_the_tensor_count_and_grow_memory_by_under_one_percent()
    {
        int updates = int.TryParse(Environment.GetEnvironmentVariable("EMA_SOAK_UPDATES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : DefaultUpdates;
        manual_seed(90);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());

        // Warm-up: first-call costs are not growth. The runtime recompiles hot methods in the background (tiered
        // JIT) a moment after they get hot, and the native allocator grows its pools: give both time to settle.
        Run(model, ema, 1, WarmUp, updates + WarmUp);
        Thread.Sleep(500);
        Run(model, ema, WarmUp + 1, WarmUp, updates + WarmUp);
        Settle(); // the first measurement allocates (Process's caches): measure from the second
        (long tensors, long managed, long workingSet) before = Settle();
        var clock = Stopwatch.StartNew();

        Run(model, ema, (2 * WarmUp) + 1, updates, updates + (2 * WarmUp));

        clock.Stop();
        (long tensors, long managed, long workingSet) after = Settle();
        double managedGrowth = (double)(after.managed - before.managed) / before.managed;
        double workingSetGrowth = (double)(after.workingSet - before.workingSet) / before.workingSet;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{updates} updates in {clock.Elapsed.TotalSeconds:F2} s ({clock.Elapsed.TotalMicroseconds / updates:F1} us each); " +
            $"tensors {before.tensors} -> {after.tensors}; GC heap {before.managed} -> {after.managed} B ({managedGrowth:P2}); " +
            $"working set {before.workingSet} -> {after.workingSet} B ({workingSetGrowth:P2})"));

        Assert.Equal(updates + (2 * WarmUp), ema.Step);
        Assert.Equal(0, ema.SkippedUpdates);
        Assert.All(ModuleValues.Get(ema.EmaWeights["linear.weight"]), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(before.tensors, after.tensors);
        Assert.True(managedGrowth < 0.01, $"GC heap grew {managedGrowth:P2}");
        Assert.True(workingSetGrowth < 0.01, $"working set grew {workingSetGrowth:P2}");
    }

    /// <summary>Updates with the model moving a little each step, and a validation swap once per epoch.</summary>
    private static void Run(LinearBatchNorm model, ModelEma ema, int first, int count, long totalSteps)
    {
        Tensor weight = model.state_dict()["linear.weight"];
        using Scalar nudge = 1e-6f.ToScalar();
        for (int step = first; step < first + count; step++)
        {
            using (no_grad())
            {
                weight.add_(nudge); // in place: returns weight itself, never dispose it
            }

            ema.Update(step, totalSteps);
            if (step % UpdatesPerEpoch == 0)
            {
                using (ema.UseEmaWeights())
                {
                }
            }
        }
    }

    /// <summary>
    /// Live memory, not what the allocators keep cached: finalizers run (they free native tensors), the GC decommits
    /// its free pages (aggressive mode) and glibc returns freed native pages (malloc_trim). Without that, the working
    /// set moves by megabytes with where the last collection happened to fall, which would hide or fake a leak.
    /// </summary>
    private static (long Tensors, long Managed, long WorkingSet) Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            NativeMethods.malloc_trim(0);
        }

        using Process process = Process.GetCurrentProcess();
        process.Refresh();
        return (Tensor.TotalCount, GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }

    private static class NativeMethods
    {
        // DllImport rather than LibraryImport: the test project does not allow unsafe code, and this is one call.
        [System.Runtime.InteropServices.DllImport("libc")]
        internal static extern int malloc_trim(nuint pad);
    }
}
