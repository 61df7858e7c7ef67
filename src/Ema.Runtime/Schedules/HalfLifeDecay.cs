using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>half_life</c> schedule (torchtitan's): <c>min(decay, 2^(-1 / (half_life * step)))</c>, an average whose
/// half-life is the fraction <c>half_life</c> of the steps done so far, so it lengthens with training without
/// reading the total. 0 at step 0.
/// </summary>
/// <param name="halfLife">The half-life as a fraction of the steps done, in (0, 1]; default 0.05.</param>
[DecaySchedule("half_life")]
public sealed class HalfLifeDecay([Range(0.0, 1.0, MinimumIsExclusive = true)] double halfLife = 0.05) : IDecayFunction
{
    /// <summary>The half-life as a fraction of the steps done.</summary>
    public double HalfLife { get; } = halfLife;

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) =>
        step <= 0 ? 0.0 : Math.Min(decay, Math.Pow(2.0, -1.0 / (HalfLife * step)));
}
