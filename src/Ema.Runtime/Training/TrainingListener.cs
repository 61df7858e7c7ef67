namespace Ema;

/// <summary>An <see cref="ITrainingListener"/> whose events do nothing: override the ones you need.</summary>
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
