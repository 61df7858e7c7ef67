using TorchSharp;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// Where features built apart meet: Exclude with checkpoints and several EMAs, several EMAs with checkpoints, the
/// update cadence with post-hoc snapshots and batch accumulation, twins with EMAs of their own.
/// </summary>
public sealed class FeatureInteractionTests
{
    [Fact]
    public void Resume_into_an_EMA_that_leaves_a_tensor_out_gives_the_model_the_checkpoints_net_value_of_it()
    {
        manual_seed(3);
        using var dir = new TempDir();
        string path = dir.File("whole.safetensors");
        using (var model = new LinearBatchNorm())
        using (var optimizer = optim.SGD(model.parameters(), 0.1))
        using (var ema = new ModelEma(model, new ConstantEmaParams(0.5)))
        {
            ModelEmaTests.Train(model, optimizer, steps: 3, ema);
            Checkpoint.Save(path, model, ema);
        }

        Dictionary<string, float[]> net = ReadPrefix(path, CheckpointKeys.NetPrefix);
        // linear.weight, not linear.bias: a bias just before BatchNorm gets a zero gradient (BN removes the mean), so
        // whether it moves at all depended on rounding, and the two could be equal.
        Assert.False(net["linear.weight"].SequenceEqual(ReadPrefix(path, CheckpointKeys.EmaNetPrefix)["linear.weight"])); // they differ

        using var resumed = new LinearBatchNorm();
        using var resumedEma = new ModelEma(resumed, new ConstantEmaParams(0.5), new ModelEmaOptions { Exclude = EmaExclude.Names("linear.weight") });
        Checkpoint.Resume(path, resumed, resumedEma, optimizer: null);

        AssertSame(net, Snapshot(resumed)); // the left-out tensor too: its EMA is the model's own value
    }

    [Theory]
    [InlineData(nameof(SwapMethod.Repoint))]
    [InlineData(nameof(SwapMethod.Exchange))]
    public void Save_and_Resume_are_refused_while_another_EMA_of_the_model_is_in_it(string method)
    {
        manual_seed(4);
        using var dir = new TempDir();
        string path = dir.File("ckpt.safetensors");
        using var forced = SwapCost.Force(Enum.Parse<SwapMethod>(method));
        using var model = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var a = new ModelEma(model, new ConstantEmaParams(0.5));
        using var b = new ModelEma(model, new ConstantEmaParams(0.9));
        ModelEmaTests.Train(model, optimizer, steps: 3, a);
        Checkpoint.Save(path, model, a);
        Dictionary<string, float[]> raw = Snapshot(model);

        using (b.UseEmaWeights())
        {
            Assert.Throws<InvalidOperationException>(() => Checkpoint.Resume(path, model, a, optimizer: null));
            Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(dir.File("other.safetensors"), model, a));
            Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(dir.File("other.safetensors"), model, ema: null)); // net only: still the raw weights
            Assert.Throws<InvalidOperationException>(() => Checkpoint.Resume(path, model, ema: null, optimizer: null));
        }

        AssertSame(raw, Snapshot(model));
        Assert.False(File.Exists(dir.File("other.safetensors")));
    }

    [Fact]
    public void Two_EMAs_of_one_model_that_leave_out_different_tensors_are_refused_naming_Exclude()
    {
        using var model = new LinearBatchNorm();
        using var a = new ModelEma(model, new ConstantEmaParams(0.5));
        Dictionary<string, float[]> before = Snapshot(model);

        var error = Assert.Throws<InvalidOperationException>(() =>
            new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Exclude = EmaExclude.Names("bn.") }));

        Assert.Contains("ModelEmaOptions.Exclude", error.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model)); // the refused EMA moved nothing
        a.Update(1, 10);
        AssertSame(before, Snapshot(a.EmaWeights)); // the first EMA still averages the model (which did not move)
    }

    [Fact]
    public void Post_hoc_snapshots_fall_on_the_EMAs_update_steps_or_the_options_are_refused()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        var error = Assert.Throws<ArgumentException>(() => new PostHocEma(model, new PostHocEmaOptions
        {
            SnapshotDirectory = dir.Path, SnapshotEvery = 4, EmaOptions = new ModelEmaOptions { UpdateEvery = 3 },
        }));
        Assert.Contains("SnapshotEvery = 4 is not a multiple of EmaOptions.UpdateEvery = 3", error.Message, StringComparison.Ordinal);

        using var postHoc = new PostHocEma(model, new PostHocEmaOptions
        {
            SnapshotDirectory = dir.Path, SnapshotEvery = 6, EmaOptions = new ModelEmaOptions { UpdateEvery = 3 },
        });
        for (long step = 1; step <= 6; step++)
        {
            postHoc.Update(step, 100);
        }

        Assert.All(postHoc.Emas, e => Assert.Equal(6, e.Step)); // the EMAs worked at the snapshot's step
        Assert.Equal(2, Directory.GetFiles(dir.Path, "*step-000000000006*").Length);
    }

    [Fact]
    public void The_trainer_refuses_an_update_cadence_with_batch_accumulation()
    {
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(4, seed: 2);
        var parameters = new TrainingParams { MaxEpochs = 1, BatchAccumulate = 2, Ema = true, EmaParams = new ConstantEmaParams(0.5), EmaOptions = new ModelEmaOptions { UpdateEvery = 2 } };
        using var trainer = new Trainer(model, Mse, parameters);

        var error = Assert.Throws<ArgumentException>(() => trainer.Train(data, data));

        Assert.Contains("ema_update_every = 2 with batch_accumulate = 2", error.Message, StringComparison.Ordinal);
        Dispose(data);
    }

    [Fact]
    public void A_bound_twin_cannot_get_an_EMA_of_its_own_and_a_module_with_an_EMA_cannot_become_a_twin()
    {
        using var model = new LinearBatchNorm();
        using var a = new ModelEma(model, new ConstantEmaParams(0.5));
        using var twin = new LinearBatchNorm();
        using (TwinBinding binding = a.BindTwin(twin))
        {
            Assert.Contains("bound as the twin", Assert.Throws<InvalidOperationException>(() => new ModelEma(twin, new ConstantEmaParams(0.5))).Message, StringComparison.Ordinal);
        }

        using var other = new LinearBatchNorm();
        using var otherEma = new ModelEma(other, new ConstantEmaParams(0.5));
        Assert.Contains("live ModelEma of its own", Assert.Throws<InvalidOperationException>(() => a.BindTwin(other)).Message, StringComparison.Ordinal);
        otherEma.Update(1, 10); // still averaging its own model
        AssertSame(Snapshot(other), Snapshot(otherEma.EmaWeights));
    }
}
