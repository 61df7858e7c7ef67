using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A schedule that shapes what the EMA hands out (<see cref="IOutputCorrection"/>, BEMA): the group's EMA buffer
/// holds the handed-out weights, so the swap, <c>CopyToModel</c>, <c>EmaWeights</c>, checkpoints and twins read them
/// as any EMA; the running average and the anchor live beside it, on the EMA's device and in its dtype.
/// And Switch EMA, which writes the EMA back into the model.
/// </summary>
internal sealed partial class TensorGroup
{
    private Tensor? _average;          // mu, the running average (the EMA buffer holds mu + a (theta - theta_0))
    private Tensor? _anchor;           // theta_0
    private LerpWeight? _averageWeight; // 1 - decay for the average's lerp_, preallocated with it
    private Tensor[]? _averageViews;   // per slot, for checkpoints
    private Tensor[]? _anchorViews;
    private int[] _bufferSlots = [];   // slots of buffers (BatchNorm statistics): handed out uncorrected

    /// <summary>Per slot, the running average's view (null unless <see cref="KeepCorrection"/> ran on an averaged group).</summary>
    public Tensor[]? AverageViews => _averageViews;

    /// <summary>Per slot, the anchor's view.</summary>
    public Tensor[]? AnchorViews => _anchorViews;

    private long CorrectionBytes => (_average is null ? 0 : Bytes(_average)) + (_anchor is null ? 0 : Bytes(_anchor));

    /// <summary>Allocates the average and the anchor as copies of the EMA (floating groups only; the others are copied from the model).</summary>
    public void KeepCorrection()
    {
        if (!IsAveraged || _average is not null)
        {
            return;
        }

        _average = _emaFlat.clone();
        _anchor = _emaFlat.clone();
        _averageWeight = new LerpWeight(_emaFlat.dtype, _emaFlat.device);
        _averageViews = SlotViews(_average);
        _anchorViews = SlotViews(_anchor);
        _bufferSlots = Enumerable.Range(0, Slots.Length).Where(i => Slots[i].ModelTensor is not TorchSharp.Modules.Parameter).ToArray();
    }

    /// <summary>
    /// mu = lerp(mu, theta, 1 - decay) (or, while <paramref name="followModel"/>, mu = theta_0 = theta), then the
    /// handed-out weights mu + <paramref name="weight"/> (theta - theta_0) into the EMA buffer. Four passes, no allocation
    /// when the EMA has the model's dtype (another dtype on the same device converts the model once, a temporary).
    /// </summary>
    public void UpdateCorrected(double decay, double weight, bool followModel)
    {
        if (!IsAveraged || _average is null)
        {
            Update(decay);
            return;
        }

        Tensor model = _update.ModelAsEma(out bool temporary);
        try
        {
            if (followModel)
            {
                _anchor!.copy_(model);
                _average.copy_(model);
            }
            else
            {
                _average.lerp_(model, _averageWeight!.For(decay));
            }

            using Scalar a = weight.ToScalar();
            _emaFlat.copy_(model);
            _emaFlat.sub_(_anchor!);
            _emaFlat.mul_(a);
            _emaFlat.add_(_average);

            // The correction extrapolates parameters (TRL corrects the parameters only); on buffers such as a running
            // variance it would extrapolate statistics, even below zero: they are handed out as their average.
            foreach (int slot in _bufferSlots)
            {
                Slots[slot].EmaView.copy_(_averageViews![slot]);
            }
        }
        finally
        {
            if (temporary)
            {
                model.Dispose();
            }
        }
    }

    /// <summary>The average and the anchor become the EMA's current weights (a load at a step where they follow the model).</summary>
    public void ResetCorrectionToEma()
    {
        _average?.copy_(_emaFlat);
        _anchor?.copy_(_emaFlat);
    }

    /// <summary>Switch EMA: model = lerp(model, EMA, <paramref name="blend"/>), in place (floating groups; the others already equal the model).</summary>
    public void BlendEmaIntoModel(double blend)
    {
        if (!IsAveraged)
        {
            return;
        }

        // TorchSharp's lerp_ takes its weight as a tensor (a Scalar overload throws); on switch steps only.
        using Tensor weight = full(Array.Empty<long>(), blend, _modelFlat.dtype, _modelFlat.device);
        if (IsSwappable)
        {
            _modelFlat.lerp_(_emaFlat, weight);
            return;
        }

        // Another device or dtype: one temporary of the model's size, on the switch steps only.
        using Tensor ema = _emaFlat.to(_modelFlat.dtype, _modelFlat.device);
        _modelFlat.lerp_(ema, weight);
    }

    private Tensor[] SlotViews(Tensor flat)
    {
        var views = new Tensor[Slots.Length];
        long offset = 0;
        for (int i = 0; i < Slots.Length; i++)
        {
            long count = Slots[i].EmaView.numel();
            views[i] = View(flat, offset, count, Slots[i].EmaView.shape);
            offset += count;
        }

        return views;
    }

    private void DisposeCorrection()
    {
        foreach (Tensor view in (_averageViews ?? []).Concat(_anchorViews ?? []))
        {
            view.Dispose();
        }

        _average?.Dispose();
        _anchor?.Dispose();
        _averageWeight?.Dispose();
    }
}
