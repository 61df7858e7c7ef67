using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// The trainer and TrainingParams.EmaOptions set in code: an inconsistent cadence is refused in training-key terms
/// before anything runs, and an EMA option that would act on nothing is an error, not silently ignored.
/// </summary>
public sealed class EmaOptionsTrainerTests
{
    [Fact]
    public void A_switch_cadence_set_in_code_that_is_no_multiple_of_the_update_cadence_is_refused_in_training_keys()
    {
        using var dir = new TempDir();
        manual_seed(4);
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(2, seed: 6);
        TrainingParams loaded = TrainingParams.FromJson("""{"max_epochs": 1, "ema": true, "ema_update_every": 2}""");
        TrainingParams p = loaded with { EmaOptions = loaded.EmaOptions with { SwitchEvery = 3 } };
        Assert.Equal(2, p.EmaOptions.UpdateEvery); // 'with' keeps the loaded cadence
        using var trainer = new Trainer(model, Mse, p, options: new TrainerOptions { CheckpointDirectory = dir.Path });

        var error = Assert.Throws<ArgumentException>(() => trainer.Train(data, data));

        Assert.Contains("ema_switch_every = 3 is not a multiple of ema_update_every = 2", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
        Dispose(data);
    }

    [Theory]
    [InlineData("""{"max_epochs": 1, "ema": false, "ema_update_every": 4}""", "ema_update_every", "needs ema = true")]
    [InlineData("""{"max_epochs": 1, "ema": false, "ema_switch_blend": 0.5}""", "ema_switch_blend", "needs ema = true")]
    [InlineData("""{"max_epochs": 1, "ema": true, "ema_switch_blend": 0.5}""", "ema_switch_blend", "ema_switch_every")]
    public void An_EMA_option_that_would_act_on_nothing_is_refused_naming_its_key(string json, string key, string why)
    {
        manual_seed(4);
        using var model = new LinearBatchNorm();
        List<(Tensor Input, Tensor Target)> data = Batches(2, seed: 6);
        using var trainer = new Trainer(model, Mse, TrainingParams.FromJson(json));

        var error = Assert.Throws<ArgumentException>(() => trainer.Train(data, data));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Dispose(data);
    }
}
