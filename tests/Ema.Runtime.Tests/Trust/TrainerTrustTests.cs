using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// The trainer's inputs out of range: a non-finite validation metric, a checkpoint past the run's end, a changed EMA
/// cadence, a checkpoint of another architecture, a batch source that keeps tensors, a lazy source of unknown length.
/// </summary>
public sealed class TrainerTrustTests
{
    private const int BatchesPerEpoch = 2;

    [Fact]
    public void A_NaN_metric_in_the_first_epoch_is_never_best_and_later_finite_metrics_still_make_ckpt_best()
    {
        using var dir = new TempDir();
        double[] metric = [double.NaN, 0.5, 0.3, double.PositiveInfinity];
        int epoch = 0;
        List<(Tensor, Tensor)> data = Batches(BatchesPerEpoch, seed: 70);
        using var model = NewModel();
        var options = new TrainerOptions
        {
            CheckpointDirectory = dir.Path,
            ValidationMetric = (_, _) => metric[epoch - 1],
            Listeners = [new RecordingListener { AtOptimizerStep = c => epoch = c.Epoch }],
        };
        using var trainer = new Trainer(model, Mse, new TrainingParams { MaxEpochs = metric.Length }, options: options);

        IReadOnlyList<EpochResult> results = trainer.Train(data, data);

        Assert.Equal([false, true, true, false], results.Select(r => r.IsBest));
        Assert.True(double.IsNaN(results[0].BestMetric));
        Assert.Equal([0.5, 0.3, 0.3], results.Skip(1).Select(r => r.BestMetric));
        Assert.Equal(3, Checkpoint.ReadInfo(dir.File(Checkpoint.BestFileName)).Epoch);
        Assert.Equal(0.3, Checkpoint.ReadInfo(dir.File(Checkpoint.LatestFileName)).BestMetric);
        Dispose(data);
    }

    [Fact]
    public void A_NaN_best_saved_in_a_checkpoint_counts_as_no_best_on_resume()
    {
        using var dir = new TempDir();
        List<(Tensor, Tensor)> data = Batches(BatchesPerEpoch, seed: 71);
        using var model = NewModel();
        var options = new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true, ValidationMetric = (_, _) => 0.4 };
        using var trainer = new Trainer(model, Mse, new TrainingParams { MaxEpochs = 2 }, options: options);
        Checkpoint.Save(dir.File(Checkpoint.LatestFileName), model, null, trainer.Optimizer, epoch: 1, globalStep: BatchesPerEpoch, bestMetric: double.NaN);

        EpochResult result = Assert.Single(trainer.Train(data, data));

        Assert.True(result.IsBest);
        Assert.Equal(0.4, result.BestMetric);
        Assert.Equal(2, Checkpoint.ReadInfo(dir.File(Checkpoint.BestFileName)).Epoch);
        Dispose(data);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(int.MaxValue)]
    public void A_checkpoint_past_max_epochs_is_refused_and_ckpt_latest_is_left_as_it_was(int savedEpoch)
    {
        using var dir = new TempDir();
        List<(Tensor, Tensor)> data = Batches(1, seed: 72);
        using var model = NewModel();
        using var trainer = new Trainer(model, Mse, new TrainingParams { MaxEpochs = 2 }, options: new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true });
        string latest = dir.File(Checkpoint.LatestFileName);
        Checkpoint.Save(latest, model, null, trainer.Optimizer, epoch: savedEpoch, globalStep: savedEpoch); // consistent with 1 batch per epoch
        byte[] before = File.ReadAllBytes(latest);

        var error = Assert.Throws<CheckpointException>(() => trainer.Train(data, data));

        Assert.Contains($"written after epoch {savedEpoch}, past this run's max_epochs = 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(latest));
        Dispose(data);
    }

    [Theory]
    [InlineData(-1, 0L)]
    [InlineData(int.MinValue, 0L)]
    [InlineData(1, -1L)]
    public void Save_refuses_an_epoch_or_step_its_reader_would_refuse_and_leaves_the_file(int epoch, long globalStep)
    {
        using var dir = new TempDir();
        using var model = NewModel();
        string latest = dir.File(Checkpoint.LatestFileName);
        Checkpoint.Save(latest, model, epoch: 1, globalStep: 2);
        byte[] before = File.ReadAllBytes(latest);

        Assert.Throws<ArgumentOutOfRangeException>(() => Checkpoint.Save(latest, model, epoch: epoch, globalStep: globalStep));

        Assert.Equal(before, File.ReadAllBytes(latest));
        Assert.Equal(1, Checkpoint.ReadInfo(latest).Epoch);
    }

    [Fact]
    public void Changing_ema_update_every_between_a_run_and_its_resume_is_refused_naming_both_values()
    {
        using var dir = new TempDir();
        List<(Tensor, Tensor)> data = Batches(4, seed: 73);
        var trainingParams = new TrainingParams { MaxEpochs = 1, Ema = true, EmaParams = new ConstantEmaParams(0.9), EmaOptions = new ModelEmaOptions { UpdateEvery = 2 } };
        using (var model = NewModel())
        using (var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { CheckpointDirectory = dir.Path }))
        {
            trainer.Train(data, data);
        }

        Assert.Equal("2", Checkpoint.ReadInfo(dir.File(Checkpoint.LatestFileName)).Metadata["ema_update_every"]);
        using var resumed = NewModel();
        Dictionary<string, float[]> before = Snapshot(resumed);
        using (var trainer = new Trainer(resumed, Mse, trainingParams with { MaxEpochs = 2, EmaOptions = new ModelEmaOptions { UpdateEvery = 1 } }, options: new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true }))
        {
            var error = Assert.Throws<CheckpointException>(() => trainer.Train(data, data));
            Assert.Contains("updated every 2 steps", error.Message, StringComparison.Ordinal);
            Assert.Contains("this run's every 1", error.Message, StringComparison.Ordinal);
        }

        AssertSame(before, Snapshot(resumed));

        // The same rule holds for a hand-written loop: it lives in Checkpoint.Resume.
        using var ema = new ModelEma(resumed, new ConstantEmaParams(0.9), new ModelEmaOptions { UpdateEvery = 3 });
        Assert.Contains("this run's every 3", Assert.Throws<CheckpointException>(
            () => Checkpoint.Resume(dir.File(Checkpoint.LatestFileName), resumed, ema, null)).Message, StringComparison.Ordinal);
        Dispose(data);
    }

    [Fact]
    public void Resuming_a_checkpoint_of_another_architecture_is_refused_and_nothing_changes()
    {
        using var dir = new TempDir();
        List<(Tensor, Tensor)> data = Batches(BatchesPerEpoch, seed: 74);
        var trainingParams = new TrainingParams { MaxEpochs = 2, Ema = true, EmaParams = new ConstantEmaParams(0.9) };
        using (var model = NewModel())
        using (var trainer = new Trainer(model, Mse, trainingParams with { MaxEpochs = 1 }, options: new TrainerOptions { CheckpointDirectory = dir.Path }))
        {
            trainer.Train(data, data);
        }

        string latest = dir.File(Checkpoint.LatestFileName);
        byte[] file = File.ReadAllBytes(latest);
        manual_seed(3);
        using var other = nn.Sequential(("linear", nn.Linear(3, 4)));
        Dictionary<string, float[]> before = Snapshot(other);
        using var trainer2 = new Trainer(other, Mse, trainingParams, options: new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true });

        var error = Assert.Throws<CheckpointException>(() => trainer2.Train(data, data));

        Assert.Contains(latest, error.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(other));
        Assert.Equal(file, File.ReadAllBytes(latest));
        Dispose(data);
    }

    [Fact]
    public void A_lazy_source_without_BatchesPerEpoch_is_refused_naming_the_option_and_is_not_enumerated()
    {
        using var model = NewModel();
        using var trainer = new Trainer(model, Mse, new TrainingParams());
        int enumerated = 0;
        IEnumerable<(Tensor, Tensor)> Lazy()
        {
            enumerated++;
            yield break;
        }

        var error = Assert.Throws<ArgumentException>(() => trainer.Train(Lazy(), Lazy()));

        Assert.Contains("set TrainerOptions.BatchesPerEpoch", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, enumerated);
    }

    [Fact]
    public void BatchesPerEpoch_that_disagrees_with_the_source_is_an_error_naming_both()
    {
        List<(Tensor, Tensor)> data = Batches(3, seed: 75);
        using var model = NewModel();
        using (var trainer = new Trainer(model, Mse, new TrainingParams(), options: new TrainerOptions { BatchesPerEpoch = 2 }))
        {
            Assert.Contains("BatchesPerEpoch = 2, but the training data is a collection of 3 batches",
                Assert.Throws<ArgumentException>(() => trainer.Train(data, data)).Message, StringComparison.Ordinal);
        }

        using (var trainer = new Trainer(model, Mse, new TrainingParams(), options: new TrainerOptions { BatchesPerEpoch = 4 }))
        {
            Assert.Contains("gave 3 batches in epoch 1, but 4 were expected (TrainerOptions.BatchesPerEpoch = 4)",
                Assert.Throws<InvalidOperationException>(() => trainer.Train(Yield(data), data)).Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { BatchesPerEpoch = 0 });
        using (var trainer = new Trainer(model, Mse, new TrainingParams { MaxEpochs = 3 }, options: new TrainerOptions { BatchesPerEpoch = long.MaxValue / 2 }))
        {
            Assert.Contains("overflows the EMA's total steps", Assert.Throws<ArgumentException>(() => trainer.Train(Yield(data), data)).Message, StringComparison.Ordinal);
        }

        Dispose(data);
    }

    [Fact]
    public void An_IReadOnlyCollection_source_gives_its_count_without_being_enumerated_to_count_it()
    {
        List<(Tensor, Tensor)> data = Batches(3, seed: 76);
        var source = new CountedSource(data);
        using var model = NewModel();
        using var trainer = new Trainer(model, Mse, new TrainingParams { MaxEpochs = 2 });

        IReadOnlyList<EpochResult> results = trainer.Train(source, data);

        Assert.Equal(2, results.Count);
        Assert.Equal(2, source.Enumerations); // once per epoch, never to count
        Dispose(data);
    }

    /// <summary>A read-only collection that is not an ICollection: its count is known, its batches come on enumeration.</summary>
    private sealed class CountedSource(List<(Tensor, Tensor)> batches) : IReadOnlyCollection<(Tensor Input, Tensor Target)>
    {
        public int Enumerations { get; private set; }

        public int Count => batches.Count;

        public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
        {
            Enumerations++;
            return Yield(batches).GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The batches as a lazy sequence, whose length is unknown without enumerating it.</summary>
    private static IEnumerable<(Tensor Input, Tensor Target)> Yield(List<(Tensor, Tensor)> batches)
    {
        foreach ((Tensor, Tensor) batch in batches)
        {
            yield return batch;
        }
    }

    private static LinearBatchNorm NewModel()
    {
        manual_seed(2);
        return new LinearBatchNorm();
    }
}
