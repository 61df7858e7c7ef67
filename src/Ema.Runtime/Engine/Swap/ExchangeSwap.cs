using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// <see cref="SwapMethod.Exchange"/>: the two buffers exchange values through <see cref="ChunkedExchange"/>, cheaper
/// than re-pointing a group of many small tensors. While a twin views the EMA's buffer its values must stay, so the
/// group re-points instead; <see cref="SwapOut"/> undoes whichever ran.
/// </summary>
internal sealed class ExchangeSwap(TensorSlot[] slots, Tensor modelFlat, Tensor emaFlat) : IGroupSwap
{
    private readonly ChunkedExchange _exchange = new(modelFlat, emaFlat);
    private readonly RepointSwap _repoint = new(slots);
    private bool _exchanged;       // inside the scope by exchange: each buffer holds the other's values
    private bool _emaViewsOnModel; // _exchanged, and the EMA views were re-pointed at the model's buffer (EmaWeights asked)

    public SwapMethod Method => SwapMethod.Exchange;

    public long StagingBytes => _exchange.StagingBytes;

    public void SwapIn(bool emaBufferIsViewed)
    {
        if (emaBufferIsViewed)
        {
            _repoint.SwapIn(emaBufferIsViewed);
            return;
        }

        _exchange.Exchange();
        _exchanged = true;
    }

    public void SwapOut()
    {
        if (!_exchanged)
        {
            _repoint.SwapOut();
            return;
        }

        if (_emaViewsOnModel)
        {
            PointEmaViewsAt(emaFlat);
            _emaViewsOnModel = false;
        }

        _exchange.Exchange();
        _exchanged = false;
    }

    /// <summary>
    /// The EMA's values live in the model's buffer: re-points the EMA views there, so that
    /// <see cref="ModelEma.EmaWeights"/> shows the EMA (one memory with the model, as after a re-point swap). Paid
    /// only when asked; <see cref="SwapOut"/> points them back.
    /// </summary>
    public void ShowEmaInEmaViews()
    {
        if (_exchanged && !_emaViewsOnModel)
        {
            PointEmaViewsAt(modelFlat);
            _emaViewsOnModel = true;
        }
    }

    public void Dispose() => _exchange.Dispose();

    /// <summary>Points each slot's EMA view at its place in <paramref name="flat"/> (the slots lie in order).</summary>
    private void PointEmaViewsAt(Tensor flat)
    {
        long offset = 0;
        foreach (TensorSlot slot in slots)
        {
            long count = slot.EmaView.numel();
            using (Tensor place = TensorGroup.View(flat, offset, count, slot.EmaView.shape))
            {
                slot.EmaView.set_(place);
            }

            offset += count;
        }
    }
}
