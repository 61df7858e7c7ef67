namespace Ema;

/// <summary>
/// The events of a training run, in SuperGradients' order: training start; per optimizer step; validation start
/// and end around the watched validation pass; epoch end; training end. The <see cref="Trainer"/> raises them, and
/// a hand-written loop can raise the same ones (see <see cref="EmaCallback"/>). This is what the trainer takes;
/// to write a listener, derive from <see cref="TrainingListener"/> (every event empty, override what you need)
/// unless the class already has another base class.
/// </summary>
public interface ITrainingListener
{
    /// <summary>Before the first batch; <see cref="TrainingContext.Model"/> is on its device and the optimizer exists.</summary>
    /// <param name="context">The run.</param>
    void OnTrainingStart(TrainingContext context);

    /// <summary>Right after each optimizer step; <see cref="TrainingContext.GlobalStep"/> is the index (from 1) of the step's last batch.</summary>
    /// <param name="context">The run.</param>
    void OnOptimizerStep(TrainingContext context);

    /// <summary>Before the watched validation pass of an epoch.</summary>
    /// <param name="context">The run.</param>
    void OnValidationStart(TrainingContext context);

    /// <summary>After the watched validation pass of an epoch.</summary>
    /// <param name="context">The run.</param>
    void OnValidationEnd(TrainingContext context);

    /// <summary>After validation, with the epoch's results.</summary>
    /// <param name="context">The run.</param>
    /// <param name="result">The epoch's losses and metrics.</param>
    void OnEpochEnd(TrainingContext context, EpochResult result);

    /// <summary>After the last epoch.</summary>
    /// <param name="context">The run.</param>
    void OnTrainingEnd(TrainingContext context);
}
