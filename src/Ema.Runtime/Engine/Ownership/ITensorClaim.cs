namespace Ema;

/// <summary>
/// A live object that a model's tensors depend on: the <see cref="ModelOwnership"/> of a model whose tensors view flat
/// buffers averaged by EMAs, or the <see cref="TwinBinding"/> whose twin's tensors view an EMA. Each says, for itself,
/// when a write into one of its tensors would do harm; <see cref="TensorClaims.ThrowIfNotWritable"/> asks it.
/// </summary>
internal interface ITensorClaim
{
    /// <summary>Why <paramref name="operation"/> must not write the tensor <paramref name="name"/> now, or null when it may.</summary>
    /// <param name="operation">The operation as the message names it, for example <c>"Checkpoint.LoadForInference"</c>.</param>
    /// <param name="name">The tensor's state-dict name in the module being written.</param>
    string? RefusesWrite(string operation, string name);
}
