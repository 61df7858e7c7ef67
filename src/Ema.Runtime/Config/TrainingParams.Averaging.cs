namespace Ema;

/// <summary>The training keys of the averaging forms beyond the EMA's schedule: Switch EMA, batch scaling, BatchNorm recomputation.</summary>
public sealed partial record TrainingParams
{
    private readonly long _emaSwitchEvery;
    private readonly double _emaSwitchBlend = 1.0;
    private readonly double _emaBatchScale = 1.0;

    /// <summary>
    /// <c>ema_switch_every</c>: Switch EMA, every k-th optimizer step the model moves to the EMA
    /// (<see cref="ModelEmaOptions.SwitchEvery"/>); 0 (the default) never.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long EmaSwitchEvery
    {
        get => _emaSwitchEvery;
        init => _emaSwitchEvery = Ranges.EmaSwitchEvery.Checked(value);
    }

    /// <summary><c>ema_switch_blend</c>: how far a switch moves the model towards the EMA, in (0, 1] (<see cref="ModelEmaOptions.SwitchBlend"/>); default 1, a copy.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside (0, 1].</exception>
    public double EmaSwitchBlend
    {
        get => _emaSwitchBlend;
        init => _emaSwitchBlend = Ranges.EmaSwitchBlend.Checked(value);
    }

    /// <summary><c>ema_batch_scale</c>: the decay becomes <c>decay^s</c> for a batch s times the tuned one (<see cref="ModelEmaOptions.BatchScale"/>); default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public double EmaBatchScale
    {
        get => _emaBatchScale;
        init => _emaBatchScale = Ranges.EmaBatchScale.Checked(value);
    }

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
