namespace Ema;

/// <summary>Which weights <see cref="Checkpoint.LoadForInference(TorchSharp.torch.nn.Module, string, CheckpointWeights)"/> loads.</summary>
public enum CheckpointWeights
{
    /// <summary>The EMA weights when the checkpoint has them, otherwise the raw ones (SuperGradients' and timm's default).</summary>
    PreferEma,

    /// <summary>The EMA weights; a checkpoint without them is refused.</summary>
    Ema,

    /// <summary>The raw (trained) weights; a checkpoint without them (an AveragedModel state dict, NeMo's -EMA.ckpt) is refused.</summary>
    Raw,
}
