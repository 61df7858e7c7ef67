namespace Ema;

/// <summary>
/// The trainer's averaging key beyond the EMA's own options: BatchNorm recomputation (Switch EMA and batch scaling
/// are <see cref="EmaOptions"/>: <c>ema_switch_every</c>, <c>ema_switch_blend</c>, <c>ema_batch_scale</c>).
/// </summary>
public sealed partial record TrainingParams
{
    /// <summary>
    /// <c>ema_recompute_bn</c>: when the trainer recomputes the EMA's BatchNorm statistics over the training inputs
    /// (<see cref="ModelEma.RecomputeBatchNorm"/>): <c>"none"</c> (the default), <c>"end"</c> (before the EMA is
    /// copied into the model at the end of training) or <c>"validation"</c> (before each EMA validation, the last of
    /// which serves the end). Each costs one forward pass over the training data without backward.
    /// </summary>
    public BatchNormRecompute EmaRecomputeBn { get; init; }
}

/// <summary>When the trainer recomputes the EMA's BatchNorm statistics (training key <c>ema_recompute_bn</c>).</summary>
public enum BatchNormRecompute
{
    /// <summary>Never: the EMA's statistics are the average of the model's.</summary>
    None,

    /// <summary>Once, at the end of training, before the EMA is copied into the model.</summary>
    End,

    /// <summary>Before each validation with the EMA weights (and so at the end too).</summary>
    Validation,
}
