using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>The trainer keys of the averaging forms: ema_recompute_bn, ema_switch_every / ema_switch_blend, ema_batch_scale.</summary>
public sealed class AveragingTrainerTests
{
    [Fact]
    public void Recompute_at_the_end_leaves_the_model_with_the_statistics_of_its_final_weights()
    {
        manual_seed(3);
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(3, seed: 5);
        var trainingParams = new TrainingParams { MaxEpochs = 2, Ema = true, EmaParams = new SwaEmaParams(), EmaRecomputeBn = BatchNormRecompute.End };
        using var trainer = new Trainer(model, Mse, trainingParams);

        trainer.Train(data, data);

        // The BatchNorm after the Linear: its running mean over the batches is the mean, over batches, of each
        // batch's mean of linear(x), computed here with the final (EMA) weights of the Linear.
        Dictionary<string, Tensor> state = model.state_dict();
        using Tensor expected = stack(data.Select(b => nn.functional.linear(b.Input, state["linear.weight"], state["linear.bias"]).mean([0])).ToArray()).mean([0]);
        AveragingReferenceTests.AssertClose(ModuleValues.Get(expected), ModuleValues.Get(state["bn.running_mean"]), "bn.running_mean");
        Assert.Equal(3, state["bn.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void Without_recompute_the_statistics_are_the_averaged_ones()
    {
        // The counterpart of the test above: the check can fail (the averaged statistics differ).
        manual_seed(3);
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(3, seed: 5);
        using var trainer = new Trainer(model, Mse, new TrainingParams { MaxEpochs = 2, Ema = true, EmaParams = new SwaEmaParams() });

        trainer.Train(data, data);

        Dictionary<string, Tensor> state = model.state_dict();
        using Tensor expected = stack(data.Select(b => nn.functional.linear(b.Input, state["linear.weight"], state["linear.bias"]).mean([0])).ToArray()).mean([0]);
        Assert.True((expected - state["bn.running_mean"]).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void The_switch_and_batch_scale_keys_reach_the_EMA()
    {
        manual_seed(3);
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(2, seed: 5);
        ModelEmaOptions? seen = null;
        double decay = double.NaN;
        var listener = new RecordingListener { AtOptimizerStep = c => { seen = c.Ema!.Options; decay = c.Ema.LastDecay; } };
        var trainingParams = TrainingParams.FromJson("""
            {"max_epochs": 1, "ema": true, "ema_params": {"decay_type": "constant", "decay": 0.9},
             "ema_switch_every": 2, "ema_switch_blend": 0.5, "ema_batch_scale": 2}
            """);
        using var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { Listeners = [listener] });

        trainer.Train(data, data);

        Assert.Equal(2, seen!.SwitchEvery);
        Assert.Equal(0.5, seen.SwitchBlend);
        Assert.Equal(2.0, seen.BatchScale);
        Assert.Equal(0.81, decay, 15);
    }

    [Fact]
    public void TrainingParams_EmaOptions_with_its_code_only_members_is_what_the_trainer_EMA_gets()
    {
        manual_seed(3);
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(2, seed: 5);
        ModelEmaOptions? seen = null;
        var listener = new RecordingListener { AtOptimizerStep = c => seen = c.Ema!.Options };
        TrainingParams loaded = TrainingParams.FromJson("""
            {"max_epochs": 1, "ema": true, "ema_update_every": 2, "ema_switch_every": 2, "ema_switch_blend": 0.5, "ema_batch_scale": 2}
            """);
        TrainingParams trainingParams = loaded with { EmaOptions = loaded.EmaOptions with { NonFinite = NonFinitePolicy.Throw, FloatingDtype = ScalarType.Float64 } };
        using var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { Listeners = [listener] });

        trainer.Train(data, data);

        Assert.Equal(NonFinitePolicy.Throw, seen!.NonFinite);
        Assert.Equal(ScalarType.Float64, seen.FloatingDtype);
        Assert.Equal(new ModelEmaOptions { UpdateEvery = 2, SwitchEvery = 2, SwitchBlend = 0.5, BatchScale = 2, NonFinite = NonFinitePolicy.Throw, FloatingDtype = ScalarType.Float64 }, seen);
    }

    [Fact]
    public void Averaging_keys_without_ema_are_an_error()
    {
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(1, seed: 5);
        using var trainer = new Trainer(model, Mse, new TrainingParams { EmaRecomputeBn = BatchNormRecompute.End });

        var error = Assert.Throws<ArgumentException>(() => trainer.Train(data, data));

        Assert.Contains("ema_recompute_bn", error.Message);
    }
}
