using TorchSharp;

namespace Ema;

/// <summary>
/// A <see cref="ModelEma"/>'s options: where and in which precision it keeps its weights, its cadence and averaging
/// forms. The trainer's EMA takes <see cref="TrainingParams.EmaOptions"/> (JSON keys <c>ema_update_every</c>,
/// <c>ema_switch_every</c>, <c>ema_switch_blend</c>, <c>ema_batch_scale</c>; the other members are set in code).
/// </summary>
public sealed record ModelEmaOptions
{
    private readonly int _updateEvery = 1;
    private readonly long? _totalSteps;
    private readonly long _switchEvery;
    private readonly double _switchBlend = 1.0;
    private readonly double _batchScale = 1.0;

    /// <summary>
    /// The dtype of the EMA's floating-point weights, or null for the model's own. Set <see cref="torch.ScalarType.Float32"/>
    /// for a bf16 or fp16 model: increments below the model's precision then still move the EMA.
    /// </summary>
    public torch.ScalarType? FloatingDtype { get; init; }

    /// <summary>The device that holds the EMA's weights, or null for the model's own (for example the CPU for a large GPU model).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>
    /// What <see cref="ModelEma.Update(long, long)"/> does when the model's floating-point weights hold NaN or infinity.
    /// Default: <see cref="NonFinitePolicy.Skip"/>, so one bad step cannot poison the average. The check reads the
    /// model once more: 16 bytes per float32 value instead of the update's 12, so at least 1.33x the time of the
    /// update alone (measured ranges in docs/benchmarks.md); <see cref="NonFinitePolicy.Ignore"/> saves it.
    /// </summary>
    public NonFinitePolicy NonFinite { get; init; } = NonFinitePolicy.Skip;

    /// <summary>
    /// Which state-dict tensors to leave out of the EMA, by name and tensor, or null to average all. A left-out tensor
    /// is not copied: the EMA uses the model's own tensor for it (checkpoints write the model's value as its
    /// <c>ema_net</c> entry; a twin views it). Presets: <see cref="EmaExclude.FrozenParameters"/>, <see cref="EmaExclude.Names"/>.
    /// </summary>
    public Func<string, torch.Tensor, bool>? Exclude { get; init; }

    /// <summary>
    /// Update the EMA on every k-th optimizer step only (default 1: every step). <see cref="ModelEma.Update(long, long)"/> is
    /// still called every step; it returns at once unless the step is a multiple of k, and then uses the decay
    /// <c>d(step)^k</c>, so that k steps of a model that did not move give exactly what k single updates give
    /// (training_params key <c>ema_update_every</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int UpdateEvery
    {
        get => _updateEvery;
        init => _updateEvery = Ranges.UpdateEvery.Checked(value);
    }

    /// <summary>
    /// The total number of optimizer steps, for <see cref="ModelEma.Update()"/> (no arguments) with a schedule that reads
    /// the total (<c>exp</c>, <c>cosine</c>); null when it is not known (a schedule that reads it is then an error).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public long? TotalSteps
    {
        get => _totalSteps;
        init => _totalSteps = value is null or >= 1 ? value : throw ConfigErrors.ArgumentOutOfRange(
            nameof(TotalSteps), $"ModelEmaOptions.TotalSteps = {ConfigErrors.Format(value!.Value)} is outside the allowed range: it must be at least 1, or null when no schedule reads it.");
    }

    /// <summary>
    /// Switch EMA (Li et al. 2024; Keras' <c>ema_overwrite_frequency</c>, ema-pytorch's <c>update_model_with_ema_every</c>):
    /// every <c>SwitchEvery</c>-th step, after the EMA update, the model moves to <c>lerp(model, EMA, SwitchBlend)</c>.
    /// 0 (the default) never switches. Costs one pass over the model on those steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long SwitchEvery
    {
        get => _switchEvery;
        init => _switchEvery = Ranges.SwitchEvery.Checked(value);
    }

    /// <summary>
    /// How far a switch moves the model towards the EMA, in (0, 1]: 1 (the default) copies the EMA into the model
    /// (Keras), less blends (ema-pytorch's <c>update_model_with_ema_beta</c> is <c>1 - SwitchBlend</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside (0, 1].</exception>
    public double SwitchBlend
    {
        get => _switchBlend;
        init => _switchBlend = Ranges.SwitchBlend.Checked(value);
    }

    /// <summary>
    /// The batch size relative to the one the decay was tuned for: the decay becomes <c>decay^BatchScale</c>
    /// ("How to Scale Your EMA", Busbridge et al. 2023), composed with <see cref="UpdateEvery"/> k as
    /// <c>decay^(k * BatchScale)</c>. Must be positive; default 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a positive finite number.</exception>
    public double BatchScale
    {
        get => _batchScale;
        init => _batchScale = Ranges.BatchScale.Checked(value);
    }

    /// <summary>
    /// Receives warnings at <see cref="Microsoft.Extensions.Logging.LogLevel.Warning"/> (a skipped update, a left-out
    /// frozen parameter that trains). Default null: none are written (<see cref="ModelEma.SkippedUpdates"/> still counts).
    /// </summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>
    /// The one rule between two options: <see cref="SwitchEvery"/> must be a multiple of <see cref="UpdateEvery"/>
    /// (a switch happens after an update; on a step the cadence skips there is none, and the switch would be lost).
    /// Checked by <see cref="ModelEma"/>, TrainingParams' binder and the trainer, each naming the options as its
    /// caller knows them.
    /// </summary>
    /// <param name="switchEvery">How the caller names <see cref="SwitchEvery"/> (<c>ema_switch_every</c>).</param>
    /// <param name="updateEvery">How the caller names <see cref="UpdateEvery"/>.</param>
    /// <returns>The message, or null when the cadences agree.</returns>
    internal string? CadenceConflict(string switchEvery, string updateEvery) =>
        SwitchEvery % UpdateEvery == 0 ? null : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{switchEvery} = {SwitchEvery} is not a multiple of {updateEvery} = {UpdateEvery}: switches must fall on steps where the EMA updates.");

    /// <summary>
    /// The ranges of the options that are also training keys: the one rule the setters above check and, before them,
    /// TrainingParams' binder (an <see cref="EmaConfigException"/> naming the key). A nested static class has its own
    /// initializer, so the ranges exist before any setter runs, whatever the order of static fields.
    /// </summary>
    internal static class Ranges
    {
        private const string Owner = nameof(ModelEmaOptions);

        public static readonly TrainingRange UpdateEvery = new(nameof(ModelEmaOptions.UpdateEvery), "ema_update_every", v => v >= 1, "at least 1", Owner);

        public static readonly TrainingRange SwitchEvery = new(nameof(ModelEmaOptions.SwitchEvery), "ema_switch_every", v => v >= 0, "at least 0 (0 never switches)", Owner);

        public static readonly TrainingRange SwitchBlend = new(nameof(ModelEmaOptions.SwitchBlend), "ema_switch_blend", v => v > 0 && v <= 1, "in (0, 1]", Owner);

        public static readonly TrainingRange BatchScale = new(nameof(ModelEmaOptions.BatchScale), "ema_batch_scale", v => v > 0 && double.IsFinite(v), "a finite number > 0", Owner);
    }
}

/// <summary>What an EMA update does when the model's weights are not finite.</summary>
public enum NonFinitePolicy
{
    /// <summary>Skip the update with a warning; the EMA keeps its last finite weights.</summary>
    Skip,

    /// <summary>Throw <see cref="NonFiniteWeightsException"/>; the EMA keeps its last finite weights.</summary>
    Throw,

    /// <summary>Do not check (saves one read of the model per update); NaN and infinity flow into the EMA.</summary>
    Ignore,
}
