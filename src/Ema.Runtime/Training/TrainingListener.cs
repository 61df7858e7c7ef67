namespace Ema;

/// <summary>
/// The convenience base of listeners: an <see cref="ITrainingListener"/> whose events do nothing, so a listener
/// overrides only the events it needs (as <see cref="EmaCallback"/> and <see cref="CheckpointCallback"/> do).
/// Derive from it as a rule; implement <see cref="ITrainingListener"/> directly only when the class already has
/// another base class. The trainer and <see cref="TrainerOptions.Listeners"/> take the interface, so both work.
/// </summary>
public abstract class TrainingListener : ITrainingListener
{
    /// <inheritdoc/>
    public virtual void OnTrainingStart(TrainingContext context)
    {
    }

    /// <inheritdoc/>
    public virtual void OnOptimizerStep(TrainingContext context)
    {
    }

    /// <inheritdoc/>
    public virtual void OnValidationStart(TrainingContext context)
    {
    }

    /// <inheritdoc/>
    public virtual void OnValidationEnd(TrainingContext context)
    {
    }

    /// <inheritdoc/>
    public virtual void OnEpochEnd(TrainingContext context, EpochResult result)
    {
    }

    /// <inheritdoc/>
    public virtual void OnTrainingEnd(TrainingContext context)
    {
    }
}
