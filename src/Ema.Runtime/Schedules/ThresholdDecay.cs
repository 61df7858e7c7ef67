namespace Ema;

/// <summary>The <c>threshold</c> schedule: <c>min(decay, (1 + step) / (10 + step))</c>, small early in training.</summary>
[DecaySchedule("threshold")]
public sealed class ThresholdDecay : IDecayFunction
{
    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) => Math.Min(decay, (1.0 + step) / (10.0 + step));
}
