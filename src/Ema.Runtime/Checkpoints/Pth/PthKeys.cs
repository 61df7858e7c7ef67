namespace Ema;

/// <summary>
/// The top-level keys of a <c>.pth</c> checkpoint besides <see cref="CheckpointKeys.Net"/> and
/// <see cref="CheckpointKeys.EmaNet"/>. Those, <c>epoch</c> and <c>acc</c> are
/// SuperGradients' own (its <c>load_checkpoint_to_model</c> reads <c>net</c> or <c>ema_net</c>); the
/// <c>ema_</c> keys are Ema's resume state, which SuperGradients ignores.
/// </summary>
internal static class PthKeys
{
    public const string Epoch = "epoch";
    public const string Acc = "acc";

    /// <summary>A dict of strings: the same keys and values as a safetensors checkpoint's <c>__metadata__</c>.</summary>
    public const string Metadata = "ema_metadata";

    /// <summary>The optimizer's state in TorchSharp's serialization, a 1-d uint8 tensor.</summary>
    public const string OptimizerState = "ema_optimizer_state";

    /// <summary>DataParallel's prefix, dropped when every key of a state dict has it (as SuperGradients does).</summary>
    public const string ModulePrefix = "module.";
}
