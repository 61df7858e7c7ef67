using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// A batch source that makes tensors while it produces batches (a shuffling permutation) keeps them across batches,
/// and the batches it makes are still freed. Counts live tensors, so it runs with the other tensor-count tests.
/// </summary>
[Collection(nameof(TensorCountTests))]
public sealed class BatchSourceTrustTests
{
    [Fact]
    public void A_batch_source_that_shuffles_with_a_tensor_it_makes_trains_and_validates_every_epoch()
    {
        manual_seed(5);
        using Tensor inputs = randn(12, 3);
        using Tensor targets = randn(12, 4);
        using var model = NewModel();
        var trainingParams = new TrainingParams { MaxEpochs = 3, Ema = true, EmaParams = new ConstantEmaParams(0.9) };
        using var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { BatchesPerEpoch = 3 });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveBefore = Tensor.TotalCount;

        IReadOnlyList<EpochResult> results = trainer.Train(Shuffled(inputs, targets, seed: 1), Shuffled(inputs, targets, seed: 2));

        Assert.Equal([1, 2, 3], results.Select(r => r.Epoch));
        Assert.All(results, r => Assert.True(double.IsFinite(r.TrainLoss) && double.IsFinite(r.WatchedMetric)));
        // The batches the source made were freed with their batch; its temporaries (detached) go with the GC.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(liveBefore, Tensor.TotalCount);
    }

    /// <summary>A lazy source in the usual shape: a permutation made at its first batch, batches indexed from it.</summary>
    private static IEnumerable<(Tensor Input, Tensor Target)> Shuffled(Tensor inputs, Tensor targets, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using Tensor order = randperm(inputs.shape[0], generator: generator);
        for (long start = 0; start < inputs.shape[0]; start += 4)
        {
            using Tensor index = order.narrow(0, start, 4);
            yield return (inputs.index_select(0, index), targets.index_select(0, index));
        }
    }

    private static LinearBatchNorm NewModel()
    {
        manual_seed(2);
        return new LinearBatchNorm();
    }
}
