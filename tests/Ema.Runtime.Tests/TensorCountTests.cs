using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>Tensor.TotalCount and torch's random generator are process-wide, so tests that depend on them run alone.</summary>
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

    [Theory]
    [InlineData(NonFinitePolicy.Ignore, 0)]
    [InlineData(NonFinitePolicy.Skip, 1)] // the default: the non-finite check's sum, one 0-dim result per floating group
    public void An_update_creates_no_tensor_but_the_non_finite_checks_sum(NonFinitePolicy policy, int perUpdate)
    {
        using var model = new LinearBatchNorm(); // one floating group (float32) and one int64 group
        using var ema = new ModelEma(model, new ExpEmaParams(), new ModelEmaOptions { NonFinite = policy });
        ema.Update(1, 100);
        long live = SettledTensorCount();
        DisposeScopeManager.Statistics.Reset();

        for (int step = 2; step <= 100; step++)
        {
            ema.Update(step, 100);
        }

        Assert.Equal(99 * perUpdate, DisposeScopeManager.Statistics.CreatedOutsideScopeCount + DisposeScopeManager.Statistics.CreatedInScopeCount);
        Assert.Equal(live, Tensor.TotalCount); // and each is freed at once
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
    internal static long SettledTensorCount()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return Tensor.TotalCount;
    }
}

[Collection(nameof(TensorCountTests))]
public sealed class TrainerTensorCountTests
{
    [Fact]
    public void Training_steps_do_not_grow_the_tensor_count()
    {
        manual_seed(50);
        using var model = new LinearBatchNorm();
        using var optimizer = optim.Adam(model.parameters(), 0.01);
        List<(Tensor, Tensor)> data = TrainingSupport.Batches(4, seed: 51);
        var counts = new List<(int Epoch, long Count)>();
        var listener = new RecordingListener { AtOptimizerStep = c => counts.Add((c.Epoch, Tensor.TotalCount)) };
        var trainingParams = new TrainingParams { MaxEpochs = 3, Ema = true, EmaParams = new ExpEmaParams() };
        using var trainer = new Trainer(model, TrainingSupport.Mse, trainingParams, optimizer, new TrainerOptions { Listeners = [listener] });

        TensorCountTests.SettledTensorCount(); // earlier tests' garbage must not be finalized mid-run
        trainer.Train(data, data);

        long[] later = counts.Where(c => c.Epoch >= 2).Select(c => c.Count).ToArray();
        Assert.Equal(8, later.Length);
        Assert.All(later, c => Assert.Equal(later[0], c));
        TrainingSupport.Dispose(data);
    }
}

[Collection(nameof(TensorCountTests))]
public sealed class TwinTensorCountTests
{
    [Fact]
    public void Ten_thousand_updates_with_a_bound_twin_keep_the_tensor_count()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        using TwinBinding binding = ema.BindTwin(twin);
        ema.Update(1, 10_000);
        long before = TensorCountTests.SettledTensorCount();

        for (int step = 2; step <= 10_000; step++)
        {
            ema.Update(step, 10_000);
        }

        Assert.Equal(before, Tensor.TotalCount);
    }
}
