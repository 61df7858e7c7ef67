using System.Globalization;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>The EMA's weights in the model: the validation scope (<see cref="UseEmaWeights"/>) and the final copy (<see cref="CopyToModel"/>); the strategies are the groups' (<see cref="SwapMethod"/>).</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// Puts the EMA weights into the model until the returned scope is disposed (validation). Where the EMA has
    /// the model's dtype and device, the model's tensors are re-pointed at the EMA's storage (no data moves) or, for
    /// a group of many small tensors where that costs more, the two buffers exchange values through a small staging
    /// chunk; otherwise the model's weights are kept aside. Either way they come back bit-identical, and the
    /// Parameter objects stay the same.
    /// </summary>
    /// <returns>The scope; disposing it gives the model its own weights back.</returns>
    /// <exception cref="InvalidOperationException">A scope is already active, or the model's parameters were replaced.</exception>
    public IDisposable UseEmaWeights()
    {
        ThrowIfUnusable();
        ThrowIfWeightsInModel(
            "ModelEma.UseEmaWeights",
            inOwnScope: "the scope is already active, and nested use would lose the model's own weights",
            inAnothersScope: "the model's own weights would be lost");

        int swapped = 0;
        try
        {
            using (no_grad())
            {
                for (; swapped < _groups.Length; swapped++)
                {
                    // A bound twin views the EMA's buffer: exchanging values would show it the model's weights.
                    _groups[swapped].SwapIn(emaBufferIsViewed: _twins.Count > 0);
                }
            }
        }
        catch
        {
            // A group that could not swap (its backup could not be allocated) must not leave the others holding
            // EMA weights where the model's own belong: optimizer steps and checkpoints would then write them.
            using (no_grad())
            {
                for (int i = swapped - 1; i >= 0; i--)
                {
                    _groups[i].SwapOut();
                }
            }

            throw;
        }

        _activeScope = new EmaWeightsScope(this);
        return _activeScope;
    }

    /// <summary>Copies the EMA weights into the model (end of training).</summary>
    /// <exception cref="InvalidOperationException">Called inside <see cref="UseEmaWeights"/> (dispose the scope first), or the model's parameters were replaced.</exception>
    public void CopyToModel()
    {
        ThrowIfUnusable();
        ThrowIfWeightsInModel(
            "ModelEma.CopyToModel",
            inOwnScope: "disposing the scope afterwards would undo it",
            inAnothersScope: "disposing that scope afterwards would undo the copy");
        TensorClaims.ThrowIfNotWritable(_model, "ModelEma.CopyToModel");

        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.CopyEmaToModel();
            }
        }
    }

    /// <summary>
    /// The scope rule, the one check of every operation that must not run while EMA weights are in the model: refused
    /// inside this EMA's own <see cref="UseEmaWeights"/> and, where <paramref name="inAnothersScope"/> is given, inside
    /// another EMA's of the same model (the model then holds that EMA's weights).
    /// </summary>
    /// <param name="operation">The operation as the message names it (<c>"ModelEma.Update"</c>).</param>
    /// <param name="inOwnScope">Why the operation must not run inside this EMA's scope.</param>
    /// <param name="inAnothersScope">What would go wrong inside another EMA's scope, or null when that is harmless.</param>
    private void ThrowIfWeightsInModel(string operation, string inOwnScope, string? inAnothersScope = null)
    {
        if (_activeScope is not null)
        {
            throw new InvalidOperationException($"{operation} was called inside UseEmaWeights(): {inOwnScope}. Dispose the scope first.");
        }

        if (inAnothersScope is not null && _ownership.EmaInModel is { } other && !ReferenceEquals(other, this))
        {
            throw new InvalidOperationException(
                $"{operation} was called while another ModelEma of the same model is inside its UseEmaWeights(): the model holds that EMA's weights, so {inAnothersScope}. Dispose that scope first.");
        }
    }

    /// <summary>How each group swaps (for the benchmark's report).</summary>
    internal IEnumerable<SwapMethod> SwapMethods => _groups.Select(g => g.Swap);

    internal void EndScope(EmaWeightsScope scope)
    {
        if (!ReferenceEquals(scope, _activeScope))
        {
            return;
        }

        _activeScope = null;

        if (_disposed)
        {
            return;
        }

        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.SwapOut();
            }
        }
    }
}
