using Ema.Benchmarks.Measurement;

namespace Ema.Benchmarks.Reporting;

/// <summary>The measured figures of one case; times are medians in milliseconds per call.</summary>
internal sealed record CaseResult(
    string Case,
    string Description,
    int FloatingTensors,
    long FloatingValues,
    double UpdateMs,
    double MulAddLoopMs,
    double LerpLoopMs,
    double FloorMs,
    double NonFiniteCheckMs,
    double SwapEnterMs,
    double SwapExitMs,
    double ChosenSwapMs,
    double RepointSwapMs,
    double ExchangeSwapMs,
    string SwapChosen,
    long EmaBytes,
    long ModelFloatingBytes,
    long OneCopyBytes,
    Allocations UpdateAllocations,
    Allocations SwapAllocations,
    long? UpdatePeakRssGrowthBytes,
    long LeakedTensors)
{
    public double UpdateOverFloor => UpdateMs / FloorMs;

    public double MulAddLoopOverUpdate => MulAddLoopMs / UpdateMs;

    public double LerpLoopOverUpdate => LerpLoopMs / UpdateMs;

    /// <summary>Enter plus exit, as a fraction of one update.</summary>
    public double SwapOverUpdate => (SwapEnterMs + SwapExitMs) / UpdateMs;

    /// <summary>The case's own swap in and out as one sample, as a fraction of one update (comparable with the two below).</summary>
    public double ChosenSwapOverUpdate => ChosenSwapMs / UpdateMs;

    /// <summary>Enter plus exit by re-pointing each tensor, as a fraction of one update (a separate model of the same shapes).</summary>
    public double RepointSwapOverUpdate => RepointSwapMs / UpdateMs;

    /// <summary>Enter plus exit by exchanging values, as a fraction of one update.</summary>
    public double ExchangeSwapOverUpdate => ExchangeSwapMs / UpdateMs;

    /// <summary>Bytes the EMA holds over one copy of the floating state at the EMA's precision (1.0 = nothing more).</summary>
    public double EmaCopies => (double)EmaBytes / OneCopyBytes;
}
