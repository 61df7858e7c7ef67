namespace Ema;

/// <summary>The <c>constant</c> schedule: the decay is the same at every step.</summary>
[DecaySchedule("constant")]
public sealed class ConstantDecay : IDecayFunction
{
    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) => decay;
}
