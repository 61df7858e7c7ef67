namespace Ema;

/// <summary>
/// The <c>cosine</c> schedule, BYOL's and DINO's teacher momentum:
/// <c>1 - (1 - decay) * (cos(pi * step / totalSteps) + 1) / 2</c>, rising from <c>decay</c> at step 0 to 1 at
/// <c>totalSteps</c> (the teacher stops moving at the end of training). Past <c>totalSteps</c> it stays 1.
/// </summary>
[DecaySchedule("cosine")]
public sealed class CosineDecay : IDecayFunction
{
    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps)
    {
        // Past the end the cosine would fall again; a resumed run that overshoots keeps the final momentum.
        double progress = Math.Min((double)step / totalSteps, 1.0);
        return 1.0 - ((1.0 - decay) * (Math.Cos(Math.PI * progress) + 1.0) / 2.0);
    }
}
