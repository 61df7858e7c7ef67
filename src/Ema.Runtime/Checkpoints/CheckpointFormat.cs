namespace Ema;

/// <summary>The file format the trainer writes its checkpoints in. Loading tells the formats apart by content, whatever the name.</summary>
public enum CheckpointFormat
{
    /// <summary>safetensors: <c>ckpt_latest.safetensors</c> and <c>ckpt_best.safetensors</c>.</summary>
    Safetensors,

    /// <summary>PyTorch's <c>torch.save</c> format as SuperGradients writes it: <c>ckpt_latest.pth</c> and <c>ckpt_best.pth</c>.</summary>
    Pth,
}
