using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>ModelEmaOptions.UpdateEvery: work on every k-th step with decay d^k, equal to the per-step EMA of a model that moves every k steps.</summary>
public sealed class UpdateEveryTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Every_k_steps_with_d_to_the_k_equals_the_per_step_EMA_of_a_model_that_moves_every_k_steps(int k)
    {
        // Two float64 copies of one model: one averaged every step, one every k-th step; both see the same weights.
        using var perStepModel = nn.Linear(5, 3).to(ScalarType.Float64);
        using var everyKModel = nn.Linear(5, 3).to(ScalarType.Float64);
        everyKModel.load_state_dict(perStepModel.state_dict());
        var parameters = new ConstantEmaParams(0.97);
        using var perStep = new ModelEma(perStepModel, parameters);
        using var everyK = new ModelEma(everyKModel, parameters, new ModelEmaOptions { UpdateEvery = k });

        using Generator random = new Generator(42);
        for (long step = 1; step <= 6 * k; step++)
        {
            if (step % k == 1 || k == 1)
            {
                // The model moves on the first step of each block of k, then holds still until the block's update.
                using var _ = no_grad();
                using Tensor move = randn(perStepModel.weight.shape, dtype: ScalarType.Float64, generator: random);
                perStepModel.weight.add_(move);
                everyKModel.weight.add_(move);
            }

            perStep.Update(step, 1000);
            everyK.Update(step, 1000);
        }

        using Tensor difference = (perStep.EmaWeights["weight"] - everyK.EmaWeights["weight"]).abs().max();
        using Tensor travel = (perStep.EmaWeights["weight"] - perStepModel.weight).abs().max();
        Assert.True(difference.item<double>() <= 1e-12, $"per-step and every-{k} EMAs differ by {difference.item<double>()}");
        Assert.True(travel.item<double>() > 0.01, "the EMA must lag the model, or the comparison proves nothing");
        Assert.Equal(Math.Pow(0.97, k), everyK.LastDecay, 15);
        Assert.Equal(6 * k, everyK.Step);
    }

    [Fact]
    public void Steps_between_multiples_of_k_leave_the_EMA_and_its_step_unchanged()
    {
        using var model = nn.Linear(4, 2);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { UpdateEvery = 4 });
        ema.Update(4, 100);
        float[] before = ModuleValues.Get(ema.EmaWeights["weight"]);
        using (no_grad())
        {
            model.weight.add_(1.0);
        }

        ema.Update(5, 100);
        ema.Update(6, 100);
        ema.Update(7, 100);

        Assert.Equal(before, ModuleValues.Get(ema.EmaWeights["weight"]));
        Assert.Equal(4, ema.Step);
        ema.Update(8, 100);
        Assert.NotEqual(before, ModuleValues.Get(ema.EmaWeights["weight"]));
        Assert.Equal(8, ema.Step);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void UpdateEvery_below_1_is_an_error(int k)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ModelEmaOptions { UpdateEvery = k });
        Assert.Contains($"UpdateEvery = {k}", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>training_params' ema_update_every reaches the trainer's EMA.</summary>
public sealed class UpdateEveryTrainerTests
{
    [Fact]
    public void The_trainer_EMA_works_on_every_k_th_step_only()
    {
        manual_seed(3);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = TrainingSupport.Batches(5, seed: 2);
        var emaSteps = new List<long>();
        var record = new RecordingListener { AtOptimizerStep = c => emaSteps.Add(c.Ema!.Step) };
        var parameters = new TrainingParams { MaxEpochs = 2, Ema = true, EmaParams = new ConstantEmaParams(0.5), EmaOptions = new ModelEmaOptions { UpdateEvery = 3 } };
        using var trainer = new Trainer(model, TrainingSupport.Mse, parameters, options: new TrainerOptions { Listeners = [record] });

        trainer.Train(data, data);

        // Listeners run after the EMA callback: the EMA's step is the last multiple of 3 reached.
        Assert.Equal(new long[] { 0, 0, 3, 3, 3, 6, 6, 6, 9, 9 }, emaSteps);
        TrainingSupport.Dispose(data);
    }
}
