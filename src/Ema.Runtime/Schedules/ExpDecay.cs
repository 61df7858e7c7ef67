using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>exp</c> schedule: <c>decay * (1 - exp(-(step / totalSteps) * beta))</c>, rising from 0 towards
/// <c>decay</c>; the larger <c>beta</c>, the sooner it gets there.
/// </summary>
/// <param name="beta">How fast the decay approaches its maximum; must be positive. SuperGradients' default is 15.</param>
[DecaySchedule("exp")]
public sealed class ExpDecay([Range(0.0, double.MaxValue, MinimumIsExclusive = true)] double beta = 15) : IDecayFunction
{
    /// <summary>How fast the decay approaches its maximum.</summary>
    public double Beta { get; } = beta;

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) =>
        decay * (1.0 - Math.Exp(-((double)step / totalSteps) * Beta));
}
