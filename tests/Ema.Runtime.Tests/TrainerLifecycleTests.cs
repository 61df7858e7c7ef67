using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

public sealed class TrainerLifecycleTests
{
    private static TrainingParams Params(int epochs, int accumulate, bool ema = true) => new()
    {
        MaxEpochs = epochs,
        BatchAccumulate = accumulate,
        InitialLr = 0.1,
        Ema = ema,
        EmaParams = new ConstantEmaParams(0.5),
    };

    [Theory]
    [InlineData(1, new[] { "start", "step 1", "step 2", "step 3", "validation start 1", "validation end 1", "epoch end 1", "step 4", "step 5", "step 6", "validation start 2", "validation end 2", "epoch end 2", "end" })]
    [InlineData(2, new[] { "start", "step 2", "step 3", "validation start 1", "validation end 1", "epoch end 1", "step 5", "step 6", "validation start 2", "validation end 2", "epoch end 2", "end" })]
    public void Events_come_in_SuperGradients_order_with_one_step_per_accumulation_group(int accumulate, string[] expected)
    {
        manual_seed(10);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(3, seed: 1);
        var recorder = new RecordingListener();
        var emaSteps = new List<long>();
        var recordEma = new RecordingListener { AtOptimizerStep = c => emaSteps.Add(c.Ema!.Step) };
        using var trainer = new Trainer(model, Mse, Params(2, accumulate), options: new TrainerOptions { Listeners = [recorder, recordEma] });

        IReadOnlyList<EpochResult> results = trainer.Train(data, data);

        Assert.Equal(expected, recorder.Events);
        // The EMA was updated at each optimizer step with the global batch index.
        Assert.Equal(expected.Where(e => e.StartsWith("step", StringComparison.Ordinal)).Select(e => long.Parse(e[5..], System.Globalization.CultureInfo.InvariantCulture)), emaSteps);
        Assert.Equal(recorder.Results, results);
        Assert.Equal([1, 2], results.Select(r => r.Epoch));
        Dispose(data);
    }

    [Fact]
    public void The_EMA_is_in_the_model_during_validation_and_the_raw_weights_come_back_bit_exact()
    {
        manual_seed(11);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(3, seed: 2);
        Dictionary<string, float[]>? raw = null;
        int checkedEpochs = 0;
        var listener = new RecordingListener
        {
            AtOptimizerStep = c => raw = Snapshot(c.Model),
            AtValidationStart = c =>
            {
                Assert.True(c.Ema!.IsEmaInModel);
                AssertSame(Snapshot(c.Ema.EmaWeights), Snapshot(c.Model));
                Assert.True(AnyDifferent(raw!, Snapshot(c.Model)), "the EMA should differ from the raw weights");
            },
            AtValidationEnd = c =>
            {
                Assert.False(c.Ema!.IsEmaInModel);
                AssertSame(raw!, Snapshot(c.Model));
                checkedEpochs++;
            },
        };
        using var trainer = new Trainer(model, Mse, Params(2, 1), options: new TrainerOptions { Listeners = [listener] });

        IReadOnlyList<EpochResult> results = trainer.Train(data, data);

        Assert.Equal(2, checkedEpochs);
        Assert.All(results, r => Assert.NotEqual(r.RawMetric, r.EmaMetric!.Value));
        Dispose(data);
    }

    [Fact]
    public void At_the_end_the_model_holds_the_EMA_weights()
    {
        manual_seed(12);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(3, seed: 3);
        Dictionary<string, float[]>? ema = null, raw = null;
        var listener = new RecordingListener { AtEpochEnd = (c, _) => (ema, raw) = (Snapshot(c.Ema!.EmaWeights), Snapshot(c.Model)) };
        using var trainer = new Trainer(model, Mse, Params(2, 1), options: new TrainerOptions { Listeners = [listener] });

        trainer.Train(data, data);

        AssertSame(ema!, Snapshot(model));
        Assert.True(AnyDifferent(raw!, ema!));
        Dispose(data);
    }

    [Fact]
    public void Results_report_raw_and_EMA_metrics_and_track_the_best_by_the_EMA_metric()
    {
        manual_seed(13);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(4, seed: 4);
        using var trainer = new Trainer(model, Mse, Params(3, 1) with { EmaParams = new ConstantEmaParams(0.9) },
            options: new TrainerOptions { ValidationMetric = (o, t) => -nn.functional.mse_loss(o, t).ToDouble(), GreaterIsBetter = true });

        IReadOnlyList<EpochResult> results = trainer.Train(data, data);

        Assert.Equal(3, results.Count);
        double best = double.NegativeInfinity;
        foreach (EpochResult r in results)
        {
            Assert.NotNull(r.EmaMetric);
            Assert.Equal(r.EmaMetric, r.WatchedMetric);
            Assert.Equal(r.WatchedMetric > best, r.IsBest);
            best = Math.Max(best, r.WatchedMetric);
            Assert.Equal(best, r.BestMetric);
            Assert.True(r.RawMetric < 0 && r.TrainLoss > 0);
        }

        Dispose(data);
    }

    [Fact]
    public void Without_EMA_the_raw_metric_is_watched_and_no_EMA_is_made()
    {
        manual_seed(14);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(2, seed: 5);
        var listener = new RecordingListener { AtValidationStart = c => Assert.Null(c.Ema) };
        using var trainer = new Trainer(model, Mse, Params(1, 1, ema: false), options: new TrainerOptions { Listeners = [listener] });

        EpochResult result = Assert.Single(trainer.Train(data, data));

        Assert.Null(result.EmaMetric);
        Assert.Equal(result.RawMetric, result.WatchedMetric);
        Dispose(data);
    }

    [Fact]
    public void A_hand_written_loop_gets_the_EMA_lifecycle_from_the_same_events()
    {
        manual_seed(15);
        using var model = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        List<(Tensor Input, Tensor Target)> data = Batches(2, seed: 6);
        var context = new TrainingContext(model, optimizer, Params(1, 1), batchesPerEpoch: 2);
        using var callback = new EmaCallback(new ConstantEmaParams(0.5));

        callback.OnTrainingStart(context);
        context.Epoch = 1;
        foreach ((Tensor input, Tensor target) in data)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Mse(model.call(input), target).backward();
            optimizer.step();
            context.GlobalStep++;
            callback.OnOptimizerStep(context);
        }

        Assert.Equal(2, callback.Ema!.Step);
        callback.OnValidationStart(context);
        Assert.True(callback.Ema.IsEmaInModel);
        callback.OnValidationEnd(context);
        Assert.False(callback.Ema.IsEmaInModel);
        Dictionary<string, float[]> ema = Snapshot(callback.Ema.EmaWeights);
        callback.OnTrainingEnd(context);
        AssertSame(ema, Snapshot(model));
        Dispose(data);
    }
}
