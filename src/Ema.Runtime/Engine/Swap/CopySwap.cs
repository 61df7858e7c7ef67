using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// <see cref="SwapMethod.Copy"/>: the EMA has another dtype or device, so the model cannot view its buffer; the
/// model's values are kept aside in a backup (allocated at the first swap, kept for the next) and the EMA copied in.
/// </summary>
internal sealed class CopySwap(Tensor modelFlat, Tensor emaFlat) : IGroupSwap
{
    private Tensor? _backup;

    public SwapMethod Method => SwapMethod.Copy;

    public long StagingBytes => 0;

    public void SwapIn(bool emaBufferIsViewed)
    {
        _backup ??= empty_like(modelFlat);
        _backup.copy_(modelFlat);
        modelFlat.copy_(emaFlat);
    }

    public void SwapOut() => modelFlat.copy_(_backup!);

    public void ShowEmaInEmaViews()
    {
        // The EMA's values stay in its own buffer: the EMA views show them.
    }

    public void Dispose() => _backup?.Dispose();
}
