using Ema.Shared.Roslyn;

namespace Ema.Analyzers.Schedules;

/// <summary>The analyzers' helpers around <see cref="RangeData"/> (the bounds and their checks live there, shared with the generator).</summary>
internal static class ValueRange
{
    /// <summary>The decay's open interval (0, 1), declared by EmaParams.Decay.</summary>
    public static readonly RangeData Decay = new(0, 1, minimumIsExclusive: true, maximumIsExclusive: true, isInt32: false);
}
