using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

// torch's random generator is process-wide: tests running beside these would draw from it between the
// uninterrupted and the resumed run and break bit-for-bit parity.
[Collection(nameof(TensorCountTests))]
public sealed class ResumeTests
{
    private sealed class Interrupt : TrainingListener
    {
        public override void OnEpochEnd(TrainingContext context, EpochResult result)
        {
            if (result.Epoch == 2)
            {
                throw new OperationCanceledException("simulated crash after epoch 2");
            }
        }
    }

    public static TheoryData<string, int, CheckpointFormat> Optimizers => new()
    {
        { "sgd-momentum", 1, CheckpointFormat.Safetensors },
        { "adam", 1, CheckpointFormat.Safetensors },
        { "adam", 2, CheckpointFormat.Safetensors },
        { "sgd-momentum", 1, CheckpointFormat.Pth },
        { "adam", 2, CheckpointFormat.Pth },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Two_epochs_and_a_resumed_third_equal_three_uninterrupted_epochs_bit_for_bit(string optimizer, int accumulate, CheckpointFormat format)
    {
        string latestName = Checkpoint.LatestFileNameOf(format);
        var trainingParams = new TrainingParams
        {
            CheckpointFormat = format,
            MaxEpochs = 3,
            BatchAccumulate = accumulate,
            InitialLr = 0.05,
            Ema = true,
            EmaParams = new ExpEmaParams(decay: 0.9, beta: 5),
        };
        List<(Tensor, Tensor)> data = Batches(5, seed: 30);
        List<(Tensor, Tensor)> validation = Batches(2, seed: 31);
        using var full = new TempDir();
        using var split = new TempDir();

        Dictionary<string, float[]> fullFinal;
        IReadOnlyList<EpochResult> fullResults;
        using (var model = NewModel(seed: 3))
        using (var trainer = new Trainer(model, Mse, trainingParams, MakeOptimizer(optimizer, model), new TrainerOptions { CheckpointDirectory = full.Path }))
        {
            fullResults = trainer.Train(data, validation);
            fullFinal = Snapshot(model);
        }

        using (var model = NewModel(seed: 3))
        using (var trainer = new Trainer(model, Mse, trainingParams, MakeOptimizer(optimizer, model), new TrainerOptions { CheckpointDirectory = split.Path, Listeners = [new Interrupt()] }))
        {
            Assert.Throws<OperationCanceledException>(() => trainer.Train(data, validation));
        }

        Assert.Equal(2, Checkpoint.ReadInfo(split.File(latestName)).Epoch);
        Dictionary<string, float[]> resumedFinal;
        IReadOnlyList<EpochResult> resumedResults;
        using (var model = NewModel(seed: 99)) // other initial weights: everything must come from the checkpoint
        using (var trainer = new Trainer(model, Mse, trainingParams, MakeOptimizer(optimizer, model), new TrainerOptions { CheckpointDirectory = split.Path, Resume = true }))
        {
            resumedResults = trainer.Train(data, validation);
            resumedFinal = Snapshot(model);
        }

        Assert.Equal(fullResults[2], Assert.Single(resumedResults));
        AssertSame(fullFinal, resumedFinal);
        string fullLatest = full.File(latestName), splitLatest = split.File(latestName);
        AssertSame(ReadPrefix(fullLatest, CheckpointKeys.NetPrefix), ReadPrefix(splitLatest, CheckpointKeys.NetPrefix));
        AssertSame(ReadPrefix(fullLatest, CheckpointKeys.EmaNetPrefix), ReadPrefix(splitLatest, CheckpointKeys.EmaNetPrefix));
        Assert.Equal(Checkpoint.ReadInfo(fullLatest).EmaStep, Checkpoint.ReadInfo(splitLatest).EmaStep);
        Assert.Equal(File.ReadAllBytes(fullLatest), File.ReadAllBytes(splitLatest)); // optimizer state and metadata too
        Dispose(data);
        Dispose(validation);
    }

    [Fact]
    public void Resuming_with_other_ema_params_or_other_data_is_refused_before_anything_is_loaded()
    {
        var trainingParams = new TrainingParams { MaxEpochs = 3, InitialLr = 0.05, Ema = true, EmaParams = new ExpEmaParams(decay: 0.9, beta: 5) };
        List<(Tensor, Tensor)> data = Batches(4, seed: 40);
        using var dir = new TempDir();
        using (var model = NewModel(seed: 4))
        using (var trainer = new Trainer(model, Mse, trainingParams with { MaxEpochs = 1 }, MakeOptimizer("adam", model), new TrainerOptions { CheckpointDirectory = dir.Path }))
        {
            trainer.Train(data, data);
        }

        using var resumed = NewModel(seed: 5);
        Dictionary<string, float[]> before = Snapshot(resumed);
        var otherParams = trainingParams with { EmaParams = new ExpEmaParams(decay: 0.9, beta: 6) };
        using (var trainer = new Trainer(resumed, Mse, otherParams, MakeOptimizer("adam", resumed), new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true }))
        {
            var error = Assert.Throws<CheckpointException>(() => trainer.Train(data, data));
            Assert.Contains("\"beta\":5", error.Message);
            Assert.Contains("\"beta\":6", error.Message);
        }

        using (var trainer = new Trainer(resumed, Mse, trainingParams, MakeOptimizer("adam", resumed), new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true }))
        {
            var error = Assert.Throws<CheckpointException>(() => trainer.Train(data.Take(3).ToList(), data));
            Assert.Contains("3 batches per epoch", error.Message);
        }

        AssertSame(before, Snapshot(resumed));
        Dispose(data);
    }

    [Fact]
    public void Resume_without_the_optimizer_state_breaks_parity_so_the_test_above_is_meaningful()
    {
        // Control: a fresh momentum buffer after epoch 2 gives a different third epoch.
        var trainingParams = new TrainingParams { MaxEpochs = 3, InitialLr = 0.05, Ema = true, EmaParams = new ConstantEmaParams(0.9) };
        List<(Tensor, Tensor)> data = Batches(5, seed: 32);
        using var dir = new TempDir();
        Dictionary<string, float[]> fullFinal;
        using (var model = NewModel(seed: 4))
        using (var trainer = new Trainer(model, Mse, trainingParams, MakeOptimizer("sgd-momentum", model)))
        {
            trainer.Train(data, data);
            fullFinal = Snapshot(model);
        }

        using (var model = NewModel(seed: 4))
        using (var trainer = new Trainer(model, Mse, trainingParams, MakeOptimizer("sgd-momentum", model), new TrainerOptions { CheckpointDirectory = dir.Path, Listeners = [new Interrupt()] }))
        {
            Assert.Throws<OperationCanceledException>(() => trainer.Train(data, data));
        }

        using (var model = NewModel(seed: 4))
        using (var optimizer = MakeOptimizer("sgd-momentum", model))
        using (var ema = new ModelEma(model, trainingParams.EmaParams))
        {
            string latest = dir.File(Checkpoint.LatestFileName);
            Checkpoint.Resume(latest, model, ema, optimizer: null);
            foreach ((Tensor input, Tensor target) in data)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                Mse(model.call(input), target).backward();
                optimizer.step();
            }

            Assert.True(AnyDifferent(fullFinal, Snapshot(model)));
        }

        Dispose(data);
    }

    private static LinearBatchNorm NewModel(int seed)
    {
        manual_seed(seed);
        return new LinearBatchNorm();
    }

    private static optim.Optimizer MakeOptimizer(string name, LinearBatchNorm model) => name switch
    {
        "sgd-momentum" => optim.SGD(model.parameters(), 0.05, momentum: 0.9),
        "adam" => optim.Adam(model.parameters(), 0.05),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
