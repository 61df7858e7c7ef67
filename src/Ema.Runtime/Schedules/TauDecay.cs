using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>tau</c> schedule of Ultralytics' <c>ModelEMA</c>: <c>decay * (1 - exp(-step / tau))</c>, which reaches
/// 63% of <c>decay</c> after <c>tau</c> steps whatever the length of the run (unlike <c>exp</c>, which scales with it).
/// </summary>
/// <param name="tau">The ramp's time constant in steps; must be positive. Ultralytics' default is 2000.</param>
[DecaySchedule("tau")]
public sealed class TauDecay([Range(0.0, double.MaxValue, MinimumIsExclusive = true)] double tau = 2000) : IDecayFunction
{
    /// <summary>The ramp's time constant in steps.</summary>
    public double Tau { get; } = tau;

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) => decay * (1.0 - Math.Exp(-step / Tau));
}
