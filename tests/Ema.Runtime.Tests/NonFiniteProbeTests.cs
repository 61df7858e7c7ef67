using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// The probe's row-wise sum (buffers of two rows or more): every position of a bad value is found, in a full row
/// and in the tail, and finite values whose row sums overflow are still told apart from infinity.
/// </summary>
public sealed class NonFiniteProbeTests
{
    private const long Values = (2 * NonFiniteProbe.RowValues) + 7; // two full rows and a tail of 7

    public static TheoryData<long, double> BadValues => new()
    {
        { 0, double.NaN },
        { NonFiniteProbe.RowValues + 3, double.PositiveInfinity },
        { (2 * NonFiniteProbe.RowValues) - 1, double.NegativeInfinity },
        { 2 * NonFiniteProbe.RowValues, double.NaN }, // first value of the tail
        { Values - 1, double.NegativeInfinity },      // last value of the tail
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_anywhere_is_found(long position, double bad)
    {
        using Tensor flat = ones(Values);
        using var probe = new NonFiniteProbe(flat);
        Assert.False(probe.HasNonFinite());

        flat[position] = tensor((float)bad);

        Assert.True(probe.HasNonFinite());
        Assert.True(probe.HasNonFinite(flat)); // the exact test agrees
    }

    [Theory]
    [InlineData(0L)]                               // overflow inside the row sums
    [InlineData(2 * NonFiniteProbe.RowValues)]     // overflow only in the tail
    public void Finite_values_whose_sums_overflow_are_finite(long start)
    {
        using Tensor flat = zeros(Values);
        flat.narrow(0, start, 7).fill_(3e38f); // 7 x 3e38 is past float32's 3.4e38
        using var probe = new NonFiniteProbe(flat);

        using (Tensor sum = flat.sum())
        {
            Assert.False(double.IsFinite(sum.item<float>())); // the fast test fails ...
        }

        Assert.False(probe.HasNonFinite()); // ... and the exact one decides
    }
}
