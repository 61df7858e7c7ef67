using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The model tensors of one (device, dtype), re-pointed at views of one contiguous buffer, and the EMA of them
/// in a second contiguous buffer: an update is one in-place op over the whole group.
/// </summary>
internal sealed partial class TensorGroup : IDisposable
{
    private readonly Tensor _modelFlat;
    private readonly Tensor _emaFlat;
    private readonly IGroupUpdate _update;   // how the EMA follows the model: chosen once from the EMA's dtype and device
    private readonly IGroupSwap _swap;       // how UseEmaWeights puts the EMA into the model: chosen once (SwapCost)
    private readonly NonFiniteProbe? _probe; // the non-finite check of the model's buffer (averaged groups only)
    private bool _disposed;

    private TensorGroup(TensorSlot[] slots, Tensor modelFlat, Tensor emaFlat, bool averaged, bool sameDevice)
    {
        Limit = averaged ? FloatingDtypes.NarrowingLimit(modelFlat.dtype, emaFlat.dtype) : double.PositiveInfinity;
        Slots = slots;
        _modelFlat = modelFlat;
        _emaFlat = emaFlat;
        IsAveraged = averaged;
        bool swappable = sameDevice && emaFlat.dtype == modelFlat.dtype;
        SwapMethod method = swappable
            ? SwapCost.Choose(slots.Length, Bytes(modelFlat), ChunkedPair.Count(modelFlat.numel()))
            : SwapMethod.Copy;
        _swap = method switch
        {
            SwapMethod.Repoint => new RepointSwap(slots),
            SwapMethod.Exchange => new ExchangeSwap(slots, modelFlat, emaFlat),
            _ => new CopySwap(modelFlat, emaFlat),
        };
        _update = !averaged ? new CopyUpdate(modelFlat, emaFlat)
            : !sameDevice ? new StagedLerp(modelFlat, emaFlat)
            : swappable ? new SameDtypeLerp(modelFlat, emaFlat)
            : new ChunkedLerp(modelFlat, emaFlat);
        if (averaged)
        {
            _probe = new NonFiniteProbe(modelFlat, Limit);
        }
    }

    /// <summary>The distinct tensors of the group.</summary>
    public TensorSlot[] Slots { get; }

    /// <summary>Floating-point groups are averaged; integer and bool groups are copied.</summary>
    public bool IsAveraged { get; }

    /// <summary>
    /// The largest model value the EMA's dtype holds, when it is narrower than the model's (a float16 EMA of a float32
    /// model); infinity otherwise. The non-finite check refuses larger values like NaN: they would become infinity.
    /// </summary>
    public double Limit { get; }

    /// <summary>What the non-finite check of this group refuses, as messages say it.</summary>
    public string RefusedValues => double.IsFinite(Limit)
        ? $"NaN, infinity or a value beyond {ConfigErrors.Format(Limit)} (the largest finite {_emaFlat.dtype} of the EMA: it would become infinity there)"
        : "NaN or infinity";

    /// <summary>Whether the EMA has the model's dtype and device, so no conversion stands between the two buffers.</summary>
    public bool IsSwappable => Swap != SwapMethod.Copy;

    /// <summary>How <see cref="SwapIn"/> puts the EMA into the model: chosen once, from the group's tensor count and size.</summary>
    public SwapMethod Swap => _swap.Method;

    /// <summary>
    /// Bytes the group allocated for the EMA: the EMA buffer, plus a full staging buffer when the EMA lives on
    /// another device, or a one-chunk staging buffer when it has another dtype or swaps by exchanging values.
    /// </summary>
    public long EmaBytes => Bytes(_emaFlat) + CorrectionBytes + _update.StagingBytes + _swap.StagingBytes;

    /// <summary>
    /// Moves the model's tensors into one flat buffer (re-pointing each with <c>set_</c>, so the objects stay the
    /// same) and makes the EMA copy. Must run under <c>no_grad</c>.
    /// </summary>
    /// <param name="members">The group's distinct tensors with their state-dict names.</param>
    /// <param name="floatingDtype">The EMA's dtype for a floating group, or null for the model's.</param>
    /// <param name="emaDevice">The EMA's device, or null for the model's.</param>
    /// <param name="sharedModelFlat">
    /// The flat buffer another live EMA of the model already re-pointed these tensors at, or null for the first EMA:
    /// then the tensors stay where they are and this group averages the same buffer.
    /// </param>
    public static TensorGroup Create(IReadOnlyList<(string[] Names, Tensor Tensor)> members, ScalarType? floatingDtype, Device? emaDevice, Tensor? sharedModelFlat = null)
    {
        Tensor first = members[0].Tensor;
        bool averaged = first.is_floating_point();
        ScalarType emaDtype = averaged && floatingDtype is { } requested ? requested : first.dtype;
        Device device = emaDevice ?? first.device;
        bool sameDevice = device.type == first.device.type && device.index == first.device.index;

        long total = members.Sum(m => m.Tensor.numel());
        if (sharedModelFlat is not null)
        {
            RequireSharedLayout(members, sharedModelFlat);
        }

        Tensor modelFlat = sharedModelFlat is null ? empty(total, first.dtype, first.device) : sharedModelFlat.view(-1);
        Tensor emaFlat = empty(total, emaDtype, device);
        var slots = new TensorSlot[members.Count];
        long offset = 0;
        for (int i = 0; i < members.Count; i++)
        {
            Tensor tensor = members[i].Tensor;
            long[] shape = tensor.shape;
            long count = tensor.numel();
            Tensor modelView = View(modelFlat, offset, count, shape);
            if (sharedModelFlat is null)
            {
                modelView.copy_(tensor);
                tensor.set_(modelView);
            }

            Tensor emaView = View(emaFlat, offset, count, shape);
            slots[i] = new TensorSlot(members[i].Names, tensor, modelView, emaView);
            offset += count;
        }

        emaFlat.copy_(modelFlat);
        return new TensorGroup(slots, modelFlat, emaFlat, averaged, sameDevice);
    }

    /// <summary>A new handle to the model's flat buffer, for another EMA of the model to share (the caller disposes it).</summary>
    public Tensor AliasModelFlat() => _modelFlat.view(-1);

    /// <summary>ema = lerp(ema, model, 1 - decay) for floating groups; ema = model for the others.</summary>
    public void Update(double decay) => _update.Update(decay);

    /// <summary>Whether the model's values in this group hold NaN or infinity (one 0-dim result, freed at once).</summary>
    public bool ModelHasNonFinite() => _probe is not null && _probe.HasNonFinite();

    /// <summary>Whether the model's values of <paramref name="slot"/> hold NaN or infinity (for the warning; creates a view).</summary>
    public bool ModelHasNonFinite(TensorSlot slot)
    {
        if (_probe is null)
        {
            return false;
        }

        using Tensor flat = slot.ModelView.view(-1);
        return _probe.HasNonFinite(flat);
    }

    /// <summary>
    /// The first state-dict name whose EMA values hold NaN or infinity, with what was found, or null (for saves: reads
    /// the EMA buffer once, allocating; not for the per-update path).
    /// </summary>
    public (string Name, string Found)? FindNonFiniteEma()
    {
        if (!IsAveraged || NonFiniteProbe.FindNonFinite(_emaFlat) is null)
        {
            return null;
        }

        foreach (TensorSlot slot in Slots)
        {
            if (NonFiniteProbe.FindNonFinite(slot.EmaView) is { } found)
            {
                return (slot.Names[0], found);
            }
        }

        return null;
    }

    /// <summary>Makes the model compute with the EMA weights.</summary>
    /// <param name="emaBufferIsViewed">
    /// Something else computes with the EMA's buffer (a bound twin): its values must stay, so the group re-points
    /// even where exchanging values is cheaper.
    /// </param>
    public void SwapIn(bool emaBufferIsViewed) => _swap.SwapIn(emaBufferIsViewed);

    /// <summary>Gives the model its own weights back, bit-identical.</summary>
    public void SwapOut() => _swap.SwapOut();

    /// <summary>
    /// Inside <see cref="SwapIn"/> by exchange the EMA's values live in the model's buffer: re-points the EMA views
    /// there, so that <see cref="ModelEma.EmaWeights"/> shows the EMA (one memory with the model, as after a re-point
    /// swap). Paid only when asked; <see cref="SwapOut"/> points them back.
    /// </summary>
    public void ShowEmaInEmaViews() => _swap.ShowEmaInEmaViews();

    /// <summary>Copies the EMA weights into the model's own buffer.</summary>
    public void CopyEmaToModel() => _modelFlat.copy_(_emaFlat);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (TensorSlot slot in Slots)
        {
            slot.ModelView.Dispose();
            slot.EmaView.Dispose();
        }

        // The model's tensors keep the model buffer's storage alive; this only drops our handle to it.
        _modelFlat.Dispose();
        _emaFlat.Dispose();
        _update.Dispose();
        _probe?.Dispose();
        _swap.Dispose();
        DisposeCorrection();
    }

    /// <summary>
    /// Checks that each member is, in order, a contiguous view at the offset a first EMA gave it (TorchSharp exposes
    /// no data pointer to compare; the tensors are the very objects that EMA re-pointed, which the caller checked).
    /// </summary>
    private static void RequireSharedLayout(IReadOnlyList<(string[] Names, Tensor Tensor)> members, Tensor shared)
    {
        long offset = 0;
        foreach ((string[] names, Tensor tensor) in members)
        {
            if (tensor.storage_offset() != offset || !tensor.is_contiguous())
            {
                throw new InvalidOperationException(
                    $"The model's tensor '{names[0]}' is no longer the view of the flat buffer its other ModelEma objects average " +
                    "(it was replaced or re-pointed); dispose the model's existing ModelEma objects before making another.");
            }

            offset += tensor.numel();
        }

        if (offset != shared.numel())
        {
            throw new InvalidOperationException(
                $"The model's tensors hold {offset} values of {shared.dtype} but the flat buffer its other ModelEma objects average holds {shared.numel()}; " +
                "dispose the model's existing ModelEma objects before making another.");
        }
    }

    /// <summary>A view of <paramref name="count"/> values of <paramref name="flat"/> from <paramref name="offset"/>, in <paramref name="shape"/>.</summary>
    internal static Tensor View(Tensor flat, long offset, long count, long[] shape)
    {
        using Tensor range = flat.narrow(0, offset, count);
        return range.view(shape);
    }

    private static long Bytes(Tensor tensor) => tensor.numel() * tensor.element_size();

    /// <summary>
    /// The model's state-dict tensors grouped by (device, dtype), in state-dict order, with tied weights (one
    /// Parameter object under several names) merged into one member, so they are averaged once.
    /// </summary>
    public static List<List<(string[] Names, Tensor Tensor)>> GroupModelTensors(nn.Module model)
    {
        var members = new List<(List<string> Names, Tensor Tensor)>();
        foreach ((string name, Tensor tensor) in model.state_dict())
        {
            int tied = members.FindIndex(m => ReferenceEquals(m.Tensor, tensor));
            if (tied >= 0)
            {
                members[tied].Names.Add(name);
            }
            else
            {
                members.Add((new List<string> { name }, tensor));
            }
        }

        return members
            .GroupBy(m => (m.Tensor.device.ToString(), m.Tensor.dtype))
            .Select(g => g.Select(m => (m.Names.ToArray(), m.Tensor)).ToList())
            .ToList();
    }
}
