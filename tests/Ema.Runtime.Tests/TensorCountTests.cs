using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>Tensor.TotalCount is process-wide, so these tests run alone.</summary>
[CollectionDefinition(nameof(TensorCountTests), DisableParallelization = true)]
public sealed class TensorCountCollection
{
}

[Collection(nameof(TensorCountTests))]
public sealed class TensorCountTests
{
    [Fact]
    public void Ten_thousand_updates_allocate_no_tensor()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        ema.Update(1, 10_000);
        long before = SettledTensorCount();

        for (int step = 2; step <= 10_000; step++)
        {
            ema.Update(step, 10_000);
        }

        Assert.Equal(before, Tensor.TotalCount);
    }

    [Fact]
    public void Dispose_frees_every_tensor_the_EMA_made()
    {
        using var model = new LinearBatchNorm();
        long before = SettledTensorCount();
        var ema = new ModelEma(model, new ExpEmaParams());
        ema.Update(1, 2);
        using (ema.UseEmaWeights())
        {
        }

        Assert.True(Tensor.TotalCount > before);
        ema.Dispose();

        Assert.Equal(before, Tensor.TotalCount);
        Assert.Throws<ObjectDisposedException>(() => ema.Update(2, 2));
    }

    /// <summary>
    /// The live tensor count once earlier tests' garbage is finalized, so that finalizers running during a
    /// measurement cannot lower the count and hide (or fake) a difference.
    /// </summary>
    private static long SettledTensorCount()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return Tensor.TotalCount;
    }
}
