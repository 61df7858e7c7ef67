using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>Tells whether a group's flat model buffer holds NaN or infinity, at the cost of one read of it.</summary>
/// <remarks>
/// The fast test is the buffer's sum in its own dtype: NaN and either infinity make it non-finite (a float64 sum of
/// a float32 buffer would convert the whole buffer first). So can finite values whose sum overflows, which is why
/// the exact test decides whenever the fast one fails: <c>amax</c> and <c>amin</c> propagate NaN, and an infinity is
/// the buffer's maximum or minimum. A buffer of at least two rows of <see cref="RowValues"/> is summed as a 2-D view,
/// row by row and then the row sums (plus the tail's sum): libtorch splits such a reduction over its threads by
/// rows, which measured 0-40% faster than the flat sum on ResNet-50's 25.6M values (docs/benchmarks.md); it
/// creates the row sums and one or two 0-dim results per update, all freed at once. TorchSharp 0.107 has no
/// <c>sum</c> into an existing tensor, and the allocation-free reductions measured slower (float32:
/// <c>linalg.vecdot</c> with <c>out</c> 1.15x and <c>amax</c> + <c>amin</c> 1.8x the sum; bfloat16: <c>vecdot</c>
/// and <c>addmv_</c> 55x, libtorch has no vectorized 16-bit dot).
/// </remarks>
internal sealed class NonFiniteProbe : IDisposable
{
    /// <summary>Values per row of the 2-D view the sum runs over.</summary>
    internal const long RowValues = 1 << 16;

    private static readonly long[] FirstDimension = [0];
    private readonly Tensor _flat;     // the group's model buffer; not owned
    private readonly Tensor? _rows;    // [rows, RowValues] view of the buffer's head, when it has two rows or more
    private readonly Tensor? _tail;    // the values after the last full row, if any
    private readonly Tensor _extreme;  // 0-dim, the buffer's dtype: amax or amin (the out= overloads require it)
    private readonly Tensor _asDouble; // 0-dim float64: a result converted, readable for every floating dtype

    private readonly double _limit;    // the largest magnitude the EMA's dtype holds, when it is narrower than the model's; else infinity

    /// <summary>Makes the probe of <paramref name="flat"/>.</summary>
    /// <param name="flat">The group's 1-D model buffer (not owned).</param>
    /// <param name="limit">
    /// The largest finite magnitude of the EMA's dtype when it is narrower than the model's (a float16 EMA of a
    /// float32 model): a larger value would become infinity in the EMA, so it counts as non-finite. Infinity otherwise.
    /// </param>
    public NonFiniteProbe(Tensor flat, double limit = double.PositiveInfinity)
    {
        _flat = flat;
        _limit = limit;
        long rows = flat.numel() / RowValues;
        if (rows >= 2)
        {
            using (Tensor head = flat.narrow(0, 0, rows * RowValues))
            {
                _rows = head.view(rows, RowValues);
            }

            long tail = flat.numel() - (rows * RowValues);
            _tail = tail > 0 ? flat.narrow(0, rows * RowValues, tail) : null;
        }

        _extreme = empty(Array.Empty<long>(), flat.dtype, flat.device);
        _asDouble = empty(Array.Empty<long>(), ScalarType.Float64, flat.device);
    }

    /// <summary>Whether the buffer holds NaN or infinity (or, with a limit, a value beyond it).</summary>
    /// <remarks>With a limit the sum cannot decide (finite values beyond it sum to a finite number): the exact test runs.</remarks>
    public bool HasNonFinite() => (double.IsFinite(_limit) || !FastSumIsFinite()) && HasNonFinite(_flat);

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
            if (!Fits(Read(_extreme)))
            {
                return true;
            }
        }

        using (values.amin(FirstDimension, false, _extreme))
        {
            return !Fits(Read(_extreme));
        }
    }

    /// <summary>
    /// Why <paramref name="values"/> (any shape, any floating dtype) cannot enter an EMA: "NaN or infinity", or a
    /// value beyond <paramref name="limit"/>; null when they can. Allocates: for construction, loads and saves, not
    /// for the per-update path.
    /// </summary>
    public static string? FindNonFinite(Tensor values, double limit = double.PositiveInfinity)
    {
        if (!values.is_floating_point() || values.numel() == 0)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        if (!values.isfinite().all().item<bool>())
        {
            return "NaN or infinity";
        }

        if (double.IsFinite(limit))
        {
            double largest = values.abs().max().to_type(ScalarType.Float64).item<double>();
            if (largest > limit)
            {
                return ConfigErrors.Format(largest) + ", beyond the EMA dtype's largest finite value " + ConfigErrors.Format(limit) + " (it would become infinity there)";
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _rows?.Dispose();
        _tail?.Dispose();
        _extreme.Dispose();
        _asDouble.Dispose();
    }

    /// <summary>Whether the buffer's sum is finite: then it holds no NaN and no infinity.</summary>
    private bool FastSumIsFinite()
    {
        if (_rows is null)
        {
            return SumIsFinite(_flat);
        }

        using (Tensor rowSums = _rows.sum(1))
        {
            if (!SumIsFinite(rowSums))
            {
                return false;
            }
        }

        return _tail is null || SumIsFinite(_tail);
    }

    private bool SumIsFinite(Tensor values)
    {
        using Tensor sum = values.sum();
        return double.IsFinite(Read(sum));
    }

    private bool Fits(double value) => double.IsFinite(value) && Math.Abs(value) <= _limit;

    private double Read(Tensor result)
    {
        _asDouble.copy_(result);
        return _asDouble.item<double>();
    }
}
