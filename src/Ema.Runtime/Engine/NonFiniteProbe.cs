using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Tells whether a group's flat model buffer holds NaN or infinity without creating a tensor per check, so the
/// default non-finite check keeps an update free of tensor allocations.
/// </summary>
/// <remarks>
/// The fast test is the sum of squares as an in-place matrix-vector product (<c>addmv_</c> of the buffer as one
/// row with itself as the vector): one read at the speed of a plain sum, written into a result made once (TorchSharp
/// 0.107 has no <c>sum</c> into an existing tensor, and its <c>out=</c> overloads return a new handle). NaN and either
/// infinity make it non-finite. So can finite values whose squares overflow, hence the exact test decides whenever
/// the fast one fails: <c>amax</c> and <c>amin</c> propagate NaN, and an infinity is the buffer's maximum or
/// minimum. float16 goes to the exact test directly: its squares overflow at 65,504.
/// </remarks>
internal sealed class NonFiniteProbe : IDisposable
{
    private static readonly long[] FirstDimension = [0];
    private readonly Tensor _flat;         // the group's model buffer; not owned
    private readonly Tensor _row;          // _flat viewed as a 1 x n matrix
    private readonly Tensor _sumOfSquares; // 1 value, the buffer's dtype (addmv_ requires it)
    private readonly Tensor _extreme;      // 0-dim, the buffer's dtype: amax or amin
    private readonly Tensor _asDouble;     // 1 value: a result converted, readable for every floating dtype

    public NonFiniteProbe(Tensor flat)
    {
        _flat = flat;
        _row = flat.view(1, flat.numel());
        _sumOfSquares = zeros(1, flat.dtype, flat.device);
        _extreme = empty(Array.Empty<long>(), flat.dtype, flat.device);
        _asDouble = empty(1, ScalarType.Float64, flat.device);
    }

    /// <summary>Whether the buffer holds NaN or infinity.</summary>
    public bool HasNonFinite()
    {
        if (_flat.dtype != ScalarType.Float16)
        {
            _sumOfSquares.addmv_(_row, _flat, beta: 0, alpha: 1);
            if (double.IsFinite(Read(_sumOfSquares)))
            {
                return false;
            }
        }

        return HasNonFinite(_flat);
    }

    /// <summary>Whether the 1-D <paramref name="values"/> (of the buffer's dtype and device) hold NaN or infinity, exactly.</summary>
    public bool HasNonFinite(Tensor values)
    {
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
        _row.Dispose();
        _sumOfSquares.Dispose();
        _extreme.Dispose();
        _asDouble.Dispose();
    }

    private double Read(Tensor result)
    {
        _asDouble.copy_(result);
        return _asDouble.item<double>();
    }
}
