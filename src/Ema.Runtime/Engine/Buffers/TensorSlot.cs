using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// One distinct tensor of the model inside a <see cref="TensorGroup"/>: the model's own tensor object (tied weights
/// are one object under several state-dict names), its names, and preallocated views into the group's flat buffers.
/// </summary>
internal sealed class TensorSlot(string[] names, Tensor modelTensor, Tensor modelView, Tensor emaView)
{
    /// <summary>The state-dict names of this tensor (more than one for tied weights).</summary>
    public string[] Names { get; } = names;

    /// <summary>The model's own Parameter or buffer object; never disposed here.</summary>
    public Tensor ModelTensor { get; } = modelTensor;

    /// <summary>A view of the model's flat buffer, used to point the model back at its own weights.</summary>
    public Tensor ModelView { get; } = modelView;

    /// <summary>A view of the EMA's flat buffer.</summary>
    public Tensor EmaView { get; } = emaView;
}
