using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The optimizer's state (SGD momentum buffers, Adam moments and step counts, learning rates, ...) as bytes, in
/// TorchSharp's own optimizer serialization. It travels in the checkpoint as one U8 tensor: TorchSharp has no
/// public per-tensor view of every optimizer's state, and its binary form round-trips all of it exactly.
/// </summary>
internal static class OptimizerStateBlob
{
    public const string Format = "torchsharp-optimizer-state-v1";

    public static byte[] Save(optim.Optimizer optimizer)
    {
        OptimizerHelper helper = AsHelper(optimizer);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            helper.save_state_dict(writer);
        }

        return buffer.ToArray();
    }

    public static void Load(optim.Optimizer optimizer, byte[] state)
    {
        OptimizerHelper helper = AsHelper(optimizer);
        using var buffer = new MemoryStream(state, writable: false);
        using var reader = new BinaryReader(buffer);
        helper.load_state_dict(reader);
        if (buffer.Position != buffer.Length)
        {
            throw new InvalidDataException($"The optimizer state has {buffer.Length - buffer.Position} unread bytes: it belongs to another optimizer type or parameter layout.");
        }
    }

    private static OptimizerHelper AsHelper(optim.Optimizer optimizer) =>
        optimizer as OptimizerHelper
        ?? throw new NotSupportedException($"The optimizer {optimizer.GetType().Name} does not derive from TorchSharp's OptimizerHelper, so its state cannot be saved; use a built-in torch.optim optimizer.");
}
