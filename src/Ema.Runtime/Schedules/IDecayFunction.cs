namespace Ema;

/// <summary>
/// A decay schedule: the EMA decay to use at a given optimizer step. Annotate an implementation with
/// <see cref="DecayScheduleAttribute"/> to register it by name and get a typed <see cref="EmaParams"/> record.
/// </summary>
public interface IDecayFunction
{
    /// <summary>Computes the decay for one step.</summary>
    /// <param name="decay">The maximum decay value, from <see cref="EmaParams.Decay"/>.</param>
    /// <param name="step">The current training step; <c>step / totalSteps</c> is the training progress.</param>
    /// <param name="totalSteps">The total number of training steps.</param>
    /// <returns>The decay for this step.</returns>
    double Compute(double decay, long step, long totalSteps);
}
