using Ema.Benchmarks.Measurement;
using Ema.Benchmarks.Reporting;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Cases;

/// <summary>Measures one case: the update forms side by side, the swap, memory and allocations.</summary>
internal static class CaseRunner
{
    public static CaseResult Run(CaseDefinition definition, RunSettings settings)
    {
        using ShapeModule model = CaseFixture.MakeModel(definition);
        using var repoint = new SwapPair(definition, SwapMethod.Repoint);
        using var exchange = new SwapPair(definition, SwapMethod.Exchange);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long tensorsBefore = Tensor.TotalCount;
        CaseResult result;
        using (var fixture = new CaseFixture(definition, model, new ExpEmaParams(decay: 0.9998, beta: 15)))
        {
            // Small cases take microseconds per call: several calls per sample keep timer and scheduler noise down.
            int calls = definition.FloatingValues < 4_000_000 ? settings.CallsPerSampleSmall : 1;
            var timer = new RoundRobinTimer();
            timer.Add("update", fixture.Update);
            timer.Add("muladd_loop", () => fixture.MulAddLoop());
            timer.Add("lerp_loop", () => fixture.LerpLoop());
            timer.Add("floor", fixture.Floor);
            timer.Add("nonfinite_check", fixture.NonFiniteCheck);
            Dictionary<string, double> times = timer.Run(settings.WarmupRounds, settings.Rounds, calls);

            (double enter, double exit, double chosenMs, double repointMs, double exchangeMs) = TimeSwap(fixture, repoint, exchange, settings);
            Allocations allocations = AllocationProbe.Measure(fixture.Update, settings.AllocationCalls);
            Allocations swapAllocations = AllocationProbe.Measure(() => fixture.Ema.UseEmaWeights().Dispose(), settings.AllocationCalls);
            long? peak = PeakMemory.GrowthDuring(() =>
            {
                for (int i = 0; i < 3; i++)
                {
                    fixture.Update();
                }
            });

            // One copy of the state: the floating values at the EMA's precision plus the int64 counters.
            long oneCopy = (definition.FloatingValues * ElementSize(definition.EffectiveEmaDtype)) + (definition.IntegerValues * sizeof(long));
            result = new CaseResult(definition.Name, definition.Description, definition.FloatingTensors, definition.FloatingValues,
                times["update"], times["muladd_loop"], times["lerp_loop"], times["floor"], times["nonfinite_check"], enter, exit,
                chosenMs, repointMs, exchangeMs, string.Join('+', fixture.Ema.SwapMethods),
                fixture.Ema.SizeInBytes, fixture.ModelFloatingBytes, oneCopy, allocations, swapAllocations, peak, LeakedTensors: 0);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        return result with { LeakedTensors = Tensor.TotalCount - tensorsBefore };
    }

    /// <summary>
    /// The case's own swap, enter and exit in turn (as earlier sessions timed it); then, in rounds of their own,
    /// the same swap in and out as one sample beside both methods forced on second models of the same shapes, so
    /// that the three compare the methods and not the rounds. (A swap right after another model's 100 MB exchange
    /// finds its tensors' metadata out of cache: the two timers differ by that.)
    /// </summary>
    private static (double Enter, double Exit, double Chosen, double Repoint, double Exchange) TimeSwap(CaseFixture fixture, SwapPair repoint, SwapPair exchange, RunSettings settings)
    {
        IDisposable? scope = null;
        var own = new RoundRobinTimer();
        own.Add("enter", () => scope = fixture.Ema.UseEmaWeights());
        own.Add("exit", () => scope!.Dispose());
        Dictionary<string, double> times = own.Run(settings.WarmupRounds, settings.SwapRounds, callsPerSample: 1);

        var methods = new RoundRobinTimer();
        methods.Add("chosen", () => fixture.Ema.UseEmaWeights().Dispose());
        methods.Add("repoint", repoint.SwapInAndOut);
        methods.Add("exchange", exchange.SwapInAndOut);
        Dictionary<string, double> compared = methods.Run(settings.WarmupRounds, settings.SwapRounds, callsPerSample: 1);
        return (times["enter"], times["exit"], compared["chosen"], compared["repoint"], compared["exchange"]);
    }

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 8,
        ScalarType.Float32 => 4,
        _ => 2,
    };
}
