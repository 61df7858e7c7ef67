namespace Ema;

/// <summary>
/// Training parameters in SuperGradients' shape: <c>{"max_epochs": 10, "ema": true, "ema_params": {...}}</c>.
/// Build them in code or load them with <see cref="FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/>, <see cref="FromFile"/> or
/// <see cref="FromConfiguration"/>. Values are validated when set.
/// </summary>
public sealed partial record TrainingParams
{
    private readonly int _maxEpochs = 1;
    private readonly int _batchAccumulate = 1;
    private readonly double _initialLr = 0.01;
    private readonly ModelEmaOptions _emaOptions = new();
    private readonly EmaParams _emaParams = new ExpEmaParams();

    /// <summary><c>max_epochs</c>: how many epochs to train; at least 1. Default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxEpochs
    {
        get => _maxEpochs;
        init => _maxEpochs = Ranges.MaxEpochs.Checked(value);
    }

    /// <summary><c>batch_accumulate</c>: batches per optimizer step; at least 1. Default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int BatchAccumulate
    {
        get => _batchAccumulate;
        init => _batchAccumulate = Ranges.BatchAccumulate.Checked(value);
    }

    /// <summary><c>initial_lr</c>: the optimizer's learning rate when the trainer makes the optimizer; positive and finite. Default 0.01.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public double InitialLr
    {
        get => _initialLr;
        init => _initialLr = Ranges.InitialLr.Checked(value);
    }

    /// <summary><c>ema</c>: whether to keep an EMA of the model's weights. Default false.</summary>
    public bool Ema { get; init; }

    /// <summary>
    /// <c>checkpoint_format</c>: <c>"safetensors"</c> (the default: <c>ckpt_latest.safetensors</c>, <c>ckpt_best.safetensors</c>)
    /// or <c>"pth"</c>, PyTorch's format as SuperGradients writes it (<c>ckpt_latest.pth</c>, <c>ckpt_best.pth</c>).
    /// </summary>
    public CheckpointFormat CheckpointFormat { get; init; }

    /// <summary><c>ema_params</c>: the EMA's decay and schedule. Default: <c>exp</c>, decay 0.9999, beta 15.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public EmaParams EmaParams
    {
        get => _emaParams;
        init => _emaParams = value ?? throw new ArgumentNullException(nameof(EmaParams));
    }

    /// <summary>
    /// The options of the trainer's EMA, the one place they are set. Four are training keys, read and written as
    /// <c>ema_update_every</c> (<see cref="ModelEmaOptions.UpdateEvery"/>), <c>ema_switch_every</c>
    /// (<see cref="ModelEmaOptions.SwitchEvery"/>), <c>ema_switch_blend</c> (<see cref="ModelEmaOptions.SwitchBlend"/>)
    /// and <c>ema_batch_scale</c> (<see cref="ModelEmaOptions.BatchScale"/>). The others (<see cref="ModelEmaOptions.Device"/>,
    /// <see cref="ModelEmaOptions.FloatingDtype"/>, <see cref="ModelEmaOptions.NonFinite"/>, <see cref="ModelEmaOptions.Exclude"/>,
    /// <see cref="ModelEmaOptions.Logger"/>, <see cref="ModelEmaOptions.TotalSteps"/>) are code-only: set them here in code;
    /// <see cref="ToJson"/> does not write them and the loaders leave them at their defaults. The trainer passes the
    /// total steps to every update itself. Default: <c>new ModelEmaOptions()</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public ModelEmaOptions EmaOptions
    {
        get => _emaOptions;
        init => _emaOptions = value ?? throw new ArgumentNullException(nameof(EmaOptions));
    }

    /// <summary>
    /// The numeric keys' ranges, checked by the setters and, before them, by the binder (<c>s_keys</c>). A nested static
    /// class has its own initializer, so the ranges do not depend on the order of static fields across partial files.
    /// The EMA's options' keys (<c>ema_update_every</c>, ...) have theirs in <see cref="ModelEmaOptions.Ranges"/>.
    /// </summary>
    private static class Ranges
    {
        public static readonly TrainingRange MaxEpochs = new(nameof(TrainingParams.MaxEpochs), "max_epochs", v => v >= 1, "at least 1");

        public static readonly TrainingRange BatchAccumulate = new(nameof(TrainingParams.BatchAccumulate), "batch_accumulate", v => v >= 1, "at least 1");

        public static readonly TrainingRange InitialLr = new(nameof(TrainingParams.InitialLr), "initial_lr", v => v > 0 && double.IsFinite(v), "a finite number > 0");
    }
}
