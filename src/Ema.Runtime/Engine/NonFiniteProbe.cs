using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>Tells whether a group's flat model buffer holds NaN or infinity, at the cost of one read of it.</summary>
/// <remarks>
/// The fast test is the buffer's sum in its own dtype: NaN and either infinity make it non-finite (a float64 sum of
/// a float32 buffer would convert the whole buffer first). So can finite values whose sum overflows, which is why
/// the exact test decides whenever the fast one fails: <c>amax</c> and <c>amin</c> propagate NaN, and an infinity is
/// the buffer's maximum or minimum. The sum's 0-dim result is the one tensor the check creates per update:
/// TorchSharp 0.107 has no <c>sum</c> into an existing tensor, and the allocation-free reductions (<c>linalg.vecdot</c>
/// with <c>out</c>, <c>addmv_</c>, <c>amax</c> + <c>amin</c>) measured slower, by far in 16-bit dtypes; the figures are
/// in docs/benchmarks.md.
/// </remarks>
internal sealed class NonFiniteProbe : IDisposable
{
    private static readonly long[] FirstDimension = [0];
    private readonly Tensor _flat;     // the group's model buffer; not owned
    private readonly Tensor _extreme;  // 0-dim, the buffer's dtype: amax or amin (the out= overloads require it)
    private readonly Tensor _asDouble; // 0-dim float64: a result converted, readable for every floating dtype

    public NonFiniteProbe(Tensor flat)
    {
        _flat = flat;
        _extreme = empty(Array.Empty<long>(), flat.dtype, flat.device);
        _asDouble = empty(Array.Empty<long>(), ScalarType.Float64, flat.device);
    }

    /// <summary>Whether the buffer holds NaN or infinity.</summary>
    public bool HasNonFinite()
    {
        using (Tensor sum = _flat.sum())
        {
            if (double.IsFinite(Read(sum)))
            {
                return false;
            }
        }

        return HasNonFinite(_flat);
    }

    /// <summary>Whether the 1-D <paramref name="values"/> (of the buffer's dtype and device) hold NaN or infinity, exactly.</summary>
    public bool HasNonFinite(Tensor values)
    {
        if (values.numel() == 0)
        {
            return false; // amax and amin refuse an empty tensor; it holds nothing non-finite
        }

        // The out= overloads return a second handle to _extreme; it is released at once.
        using (values.amax(FirstDimension, false, _extreme))
        {
            if (!double.IsFinite(Read(_extreme)))
            {
                return true;
            }
        }

        using (values.amin(FirstDimension, false, _extreme))
        {
            return !double.IsFinite(Read(_extreme));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _extreme.Dispose();
        _asDouble.Dispose();
    }

    private double Read(Tensor result)
    {
        _asDouble.copy_(result);
        return _asDouble.item<double>();
    }
}
