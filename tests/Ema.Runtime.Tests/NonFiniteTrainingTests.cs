using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// A run in which one batch turns the weights into NaN (a NaN input: the loss, the gradients, the weights and
/// BatchNorm's statistics all become NaN, and stay so). What the trainer does, decided in docs/reliability.md:
/// it keeps going, the EMA skips every non-finite update with a visible warning, the EMA and the checkpoint's
/// <c>ema_net</c> stay finite, and at the end the model takes the last finite EMA weights. With
/// <see cref="NonFinitePolicy.Throw"/> the run stops at the first bad step instead, with the last checkpoint intact.
/// </summary>
public sealed class NonFiniteTrainingTests
{
    private const int BatchesPerEpoch = 4;
    private const int PoisonedBatch = 2; // 0-based: the third batch of every epoch, so step 3 is the first bad one

    private static readonly TrainingParams s_params = new() { MaxEpochs = 3, InitialLr = 0.05, Ema = true, EmaParams = new ConstantEmaParams(0.5) };

    [Fact]
    public void One_NaN_batch_keeps_a_finite_EMA_a_finite_ema_net_and_a_visible_warning()
    {
        using var dir = new TempDir();
        manual_seed(70);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> train = PoisonedBatches();
        List<(Tensor, Tensor)> validation = Batches(2, seed: 71);
        var warnings = new List<string>();
        long skipped = -1;
        var listener = new RecordingListener { AtEpochEnd = (c, _) => skipped = c.Ema!.SkippedUpdates };
        var options = new TrainerOptions
        {
            CheckpointDirectory = dir.Path,
            Listeners = [listener],
        };
        using var trainer = new Trainer(model, Mse, s_params with { EmaOptions = new ModelEmaOptions { Logger = new ListLogger(warnings) } }, options: options);

        IReadOnlyList<EpochResult> results = trainer.Train(train, validation);

        // Steps 1 and 2 update the EMA; 3 to 12 find NaN in the model and are skipped. The warning is written at the
        // 1st, 2nd, 4th and 8th skip (not once per step), each with the count so far; SkippedUpdates counts all 10.
        Assert.Equal(10, skipped);
        Assert.Equal(4, warnings.Count);
        Assert.Contains("8 update(s) skipped so far", warnings[3], StringComparison.Ordinal);
        Assert.StartsWith("The model's weights hold NaN or infinity at step 3", warnings[0], StringComparison.Ordinal); // at level Warning
        Assert.Contains("the EMA update was skipped", warnings[0], StringComparison.Ordinal);

        // Validation: the raw weights are NaN, the EMA weights are not, so the EMA's metric is what gets watched.
        Assert.All(results, r => Assert.True(double.IsNaN(r.RawMetric)));
        Assert.All(results, r => Assert.True(double.IsFinite(r.EmaMetric!.Value)));

        string latest = dir.File(Checkpoint.LatestFileName);
        Dictionary<string, float[]> emaNet = ReadPrefix(latest, CheckpointKeys.EmaNetPrefix);
        Assert.All(emaNet.Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
        Assert.Contains(ReadPrefix(latest, CheckpointKeys.NetPrefix).Values.SelectMany(v => v), float.IsNaN); // net records the raw truth
        Assert.Equal(2, Checkpoint.ReadInfo(latest).EmaStep); // the EMA's step is its last real update

        // The end of training gives the model the last finite EMA, and that is what inference loading reads back.
        AssertSame(emaNet, Snapshot(model));
        using var restored = new LinearBatchNorm();
        Assert.Equal("ema_net", Checkpoint.LoadForInference(restored, latest));
        Assert.All(Snapshot(restored).Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
        Dispose(train);
        Dispose(validation);
    }

    [Fact]
    public void With_the_Throw_policy_the_run_stops_at_the_bad_step_and_the_last_checkpoint_stays_finite()
    {
        using var dir = new TempDir();
        manual_seed(72);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> train = Batches(BatchesPerEpoch, seed: 73);
        List<(Tensor, Tensor)> validation = Batches(2, seed: 74);
        int epochs = 0;
        var poisonAfterEpoch1 = new RecordingListener
        {
            AtEpochEnd = (_, _) =>
            {
                if (++epochs == 1)
                {
                    Poison(train[1].Item1); // epoch 2's second batch: step 6
                }
            },
        };
        var options = new TrainerOptions
        {
            CheckpointDirectory = dir.Path,
            Listeners = [poisonAfterEpoch1],
        };
        using var trainer = new Trainer(model, Mse, s_params with { EmaOptions = new ModelEmaOptions { NonFinite = NonFinitePolicy.Throw } }, options: options);

        var error = Assert.Throws<NonFiniteWeightsException>(() => trainer.Train(train, validation));

        Assert.Equal(6, error.Step);
        CheckpointInfo info = Checkpoint.ReadInfo(dir.File(Checkpoint.LatestFileName));
        Assert.Equal(1, info.Epoch);
        Assert.All(ReadPrefix(dir.File(Checkpoint.LatestFileName), CheckpointKeys.EmaNetPrefix).Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
        Assert.All(ReadPrefix(dir.File(Checkpoint.LatestFileName), CheckpointKeys.NetPrefix).Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
        Dispose(train);
        Dispose(validation);
    }

    private static List<(Tensor, Tensor)> PoisonedBatches()
    {
        List<(Tensor Input, Tensor Target)> batches = Batches(BatchesPerEpoch, seed: 75);
        Poison(batches[PoisonedBatch].Input);
        return batches;
    }

    private static void Poison(Tensor input)
    {
        using var _ = no_grad();
        input[0, 0] = tensor(float.NaN);
    }
}
