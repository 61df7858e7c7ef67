namespace Ema;

/// <summary>
/// Training parameters in SuperGradients' shape: <c>{"max_epochs": 10, "ema": true, "ema_params": {...}}</c>.
/// Build them in code or load them from JSON.
/// </summary>
public sealed partial record TrainingParams
{
    /// <summary><c>max_epochs</c>: how many epochs to train; at least 1. Default 1.</summary>
    public int MaxEpochs { get; init; } = 1;

    /// <summary><c>batch_accumulate</c>: batches per optimizer step; at least 1. Default 1.</summary>
    public int BatchAccumulate { get; init; } = 1;

    /// <summary><c>initial_lr</c>: the optimizer's learning rate when the trainer makes the optimizer. Default 0.01.</summary>
    public double InitialLr { get; init; } = 0.01;

    /// <summary><c>ema</c>: whether to keep an EMA of the model's weights. Default false.</summary>
    public bool Ema { get; init; }

    /// <summary><c>ema_params</c>: the EMA's decay and schedule. Default: <c>exp</c>, decay 0.9999, beta 15.</summary>
    public EmaParams EmaParams { get; init; } = new ExpEmaParams();
}
