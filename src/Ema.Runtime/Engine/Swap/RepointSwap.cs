namespace Ema;

/// <summary>
/// <see cref="SwapMethod.Repoint"/>: each model tensor is re-pointed with <c>set_</c> at its view of the EMA buffer
/// and back at its view of the model's buffer; no data moves and the tensor objects stay the same.
/// </summary>
internal sealed class RepointSwap(TensorSlot[] slots) : IGroupSwap
{
    public SwapMethod Method => SwapMethod.Repoint;

    public long StagingBytes => 0;

    public void SwapIn(bool emaBufferIsViewed)
    {
        foreach (TensorSlot slot in slots)
        {
            slot.ModelTensor.set_(slot.EmaView);
        }
    }

    public void SwapOut()
    {
        foreach (TensorSlot slot in slots)
        {
            // A tensor the model disposed inside the scope has nothing left to point back.
            if (!slot.ModelTensor.IsInvalid)
            {
                slot.ModelTensor.set_(slot.ModelView);
            }
        }
    }

    public void ShowEmaInEmaViews()
    {
        // The model's tensors view the EMA's buffer: the EMA views already show the EMA.
    }

    public void Dispose()
    {
    }
}
