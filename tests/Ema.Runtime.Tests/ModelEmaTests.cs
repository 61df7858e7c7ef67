using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

public sealed class ModelEmaTests
{
    [Fact]
    public void BatchNorm_running_statistics_are_averaged_and_num_batches_tracked_is_copied()
    {
        manual_seed(1);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        float[] meanBefore = ModuleValues.Get(model.state_dict()["bn.running_mean"]);

        model.train();
        using (Tensor batch = randn(8, 3))
        using (Tensor output = model.call(batch))
        {
        }

        float[] meanAfter = ModuleValues.Get(model.state_dict()["bn.running_mean"]);
        Assert.NotEqual(meanBefore, meanAfter);
        ema.Update(1, 10);

        float[] emaMean = ModuleValues.Get(ema.EmaWeights["bn.running_mean"]);
        for (int i = 0; i < emaMean.Length; i++)
        {
            Assert.Equal(0.5f * meanBefore[i] + 0.5f * meanAfter[i], emaMean[i], 6);
        }

        Assert.Equal(1L, model.state_dict()["bn.num_batches_tracked"].item<long>());
        Assert.Equal(1L, ema.EmaWeights["bn.num_batches_tracked"].item<long>());
        Assert.Equal(ScalarType.Int64, ema.EmaWeights["bn.num_batches_tracked"].dtype);
    }

    [Fact]
    public void Inside_UseEmaWeights_the_model_computes_what_a_model_loaded_with_the_EMA_weights_computes()
    {
        manual_seed(2);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9));
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        Train(model, optimizer, steps: 5, ema);
        model.eval();
        Dictionary<string, float[]> rawBefore = ModuleValues.Snapshot(model);

        using var reference = new LinearBatchNorm();
        reference.eval();
        foreach ((string name, Tensor value) in ema.EmaWeights)
        {
            using var _ = no_grad();
            reference.state_dict()[name].copy_(value);
        }

        using Tensor input = randn(6, 3);
        float[] expected = ModuleValues.Get(reference.call(input));
        using (ema.UseEmaWeights())
        {
            Assert.True(ema.IsEmaInModel);
            Assert.Equal(expected, ModuleValues.Get(model.call(input)));
        }

        Assert.False(ema.IsEmaInModel);
        Dictionary<string, float[]> rawAfter = ModuleValues.Snapshot(model);
        foreach ((string name, float[] values) in rawBefore)
        {
            Assert.Equal(values, rawAfter[name]); // bit-identical
        }
    }

    [Fact]
    public void The_swap_exchanges_storages_and_an_optimizer_made_before_keeps_training_the_model()
    {
        manual_seed(3);
        using var model = new LinearBatchNorm();
        using var optimizer = optim.Adam(model.parameters(), 0.05);
        using var ema = new ModelEma(model, new ExpEmaParams());
        Tensor weight = model.state_dict()["linear.weight"];
        Train(model, optimizer, steps: 3, ema);

        using (ema.UseEmaWeights())
        {
            // The same Parameter object now reads the EMA's memory: no data was copied into the model.
            Assert.Equal(ModuleValues.Get(ema.EmaWeights["linear.weight"]), ModuleValues.Get(weight));
            Assert.Same(weight, model.state_dict()["linear.weight"]);

            // One memory, not two equal copies: a write through the model shows in the EMA (undone at once).
            float original = ModuleValues.Get(weight)[0];
            using (no_grad())
            {
                weight[0, 0] = tensor(original + 1000f);
                Assert.Equal(original + 1000f, ModuleValues.Get(ema.EmaWeights["linear.weight"])[0]);
                weight[0, 0] = tensor(original);
            }
        }

        float[] beforeStep = ModuleValues.Get(weight);
        Train(model, optimizer, steps: 1, ema: null);
        Assert.NotEqual(beforeStep, ModuleValues.Get(weight));
        Assert.Same(weight, model.parameters().First());
    }

    [Fact]
    public void CopyToModel_gives_the_model_the_EMA_weights()
    {
        manual_seed(4);
        using var model = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.5);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.8));
        Train(model, optimizer, steps: 4, ema);
        Dictionary<string, float[]> emaValues = ema.EmaWeights.Where(p => p.Value.is_floating_point()).ToDictionary(p => p.Key, p => ModuleValues.Get(p.Value));
        Assert.NotEqual(emaValues["linear.weight"], ModuleValues.Get(model.state_dict()["linear.weight"]));

        ema.CopyToModel();

        foreach ((string name, float[] values) in ModuleValues.Snapshot(model))
        {
            Assert.Equal(emaValues[name], values);
        }
    }

    [Fact]
    public void A_float32_EMA_of_a_bf16_model_moves_where_the_increments_are_below_bf16_resolution()
    {
        using var bf16Model = OnesLinear(ScalarType.BFloat16);
        using var mixedModel = OnesLinear(ScalarType.BFloat16);
        using var bf16Ema = new ModelEma(bf16Model, new ConstantEmaParams(0.999));
        using var mixedEma = new ModelEma(mixedModel, new ConstantEmaParams(0.999), new ModelEmaOptions { FloatingDtype = ScalarType.Float32 });
        using (no_grad())
        {
            // The next bf16 value above 1: each update moves the EMA by about 7.8e-6, far below bf16's step.
            bf16Model.weight!.fill_(1.0078125);
            mixedModel.weight!.fill_(1.0078125);
        }

        for (int step = 1; step <= 10; step++)
        {
            bf16Ema.Update(step, 10);
            mixedEma.Update(step, 10);
        }

        Assert.Equal(ScalarType.Float32, mixedEma.EmaWeights["weight"].dtype);
        Assert.Equal(ScalarType.BFloat16, mixedModel.weight!.dtype);
        float mixedValue = ModuleValues.Get(mixedEma.EmaWeights["weight"])[0];
        Assert.Equal(1.0 + (0.0078125 * (1 - Math.Pow(0.999, 10))), mixedValue, 6);
        Assert.Equal(1.0f, ModuleValues.Get(bf16Ema.EmaWeights["weight"])[0]); // bf16 cannot hold the increments
        Assert.Equal(1.0078125f, ModuleValues.Get(mixedModel.weight!)[0]);    // the model keeps its own weights

        // Validation with the fp32 EMA of a bf16 model copies (rounded to bf16) and restores bit-identically.
        using (mixedEma.UseEmaWeights())
        {
            Assert.Equal(1.0f, ModuleValues.Get(mixedModel.weight!)[0]);
        }

        Assert.Equal(1.0078125f, ModuleValues.Get(mixedModel.weight!)[0]);
    }

    [Fact]
    public void Nested_UseEmaWeights_Update_and_CopyToModel_inside_a_scope_are_clear_errors()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        using (ema.UseEmaWeights())
        {
            Assert.Contains("already active", Assert.Throws<InvalidOperationException>(() => ema.UseEmaWeights()).Message);
            Assert.Contains("inside UseEmaWeights", Assert.Throws<InvalidOperationException>(() => ema.Update(1, 2)).Message);
            Assert.Contains("inside UseEmaWeights", Assert.Throws<InvalidOperationException>(ema.CopyToModel).Message);
        }

        ema.Update(1, 2); // usable again once the scope is gone
        Assert.Equal(1, ema.Step);
    }

    [Fact]
    public void Moving_the_model_after_the_EMA_was_made_is_a_clear_error()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        model.to(ScalarType.Float64);

        var error = Assert.Throws<InvalidOperationException>(() => ema.Update(1, 10));
        Assert.Contains("linear.weight", error.Message);
        Assert.Contains("module.to", error.Message);
    }

    [Fact]
    public void A_model_with_no_floating_tensors_is_rejected()
    {
        using var model = new IntegerOnly();
        var error = Assert.Throws<ArgumentException>(() => new ModelEma(model, new ExpEmaParams()));
        Assert.Contains("no floating-point", error.Message);
    }

    [Fact]
    public void Tied_weights_are_averaged_once_and_stay_tied()
    {
        manual_seed(5);
        using var model = new Tied();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        Assert.Same(ema.EmaWeights["first.weight"], ema.EmaWeights["second.weight"]);
        float[] start = ModuleValues.Get(model.state_dict()["first.weight"]);
        using (no_grad())
        {
            model.state_dict()["first.weight"].add_(1.0);
        }

        ema.Update(1, 1);

        float[] averaged = ModuleValues.Get(ema.EmaWeights["second.weight"]);
        for (int i = 0; i < start.Length; i++)
        {
            Assert.Equal(start[i] + 0.5f, averaged[i], 6); // once: a second lerp would give + 0.75
        }

        Assert.Same(model.state_dict()["first.weight"], model.state_dict()["second.weight"]);
    }

    [Fact]
    public void A_failed_construction_releases_the_model_for_the_next_EMA()
    {
        if (cuda.is_available())
        {
            return; // the failure below needs a machine without CUDA
        }

        using var model = new LinearBatchNorm();
        float[] before = ModuleValues.Get(model.state_dict()["linear.weight"]);

        Assert.ThrowsAny<Exception>(() => new ModelEma(model, new ExpEmaParams(), new ModelEmaOptions { Device = CUDA }));

        using var ema = new ModelEma(model, new ExpEmaParams()); // the failed one left no trace behind
        ema.Update(1, 1);
        Assert.Equal(before, ModuleValues.Get(model.state_dict()["linear.weight"]));
    }

    [Fact]
    public void Load_inside_UseEmaWeights_is_a_clear_error()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        var weights = ema.EmaWeights.ToDictionary(p => p.Key, p => p.Value);
        using (ema.UseEmaWeights())
        {
            Assert.Contains("inside UseEmaWeights", Assert.Throws<InvalidOperationException>(() => ema.Load(weights, 3)).Message);
        }

        ema.Load(weights, 3);
        Assert.Equal(3, ema.Step);
    }

    [Fact]
    public void Update_rejects_negative_steps_and_non_positive_totals()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(1, 0));
    }

    internal static void Train(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, int steps, ModelEma? ema)
    {
        model.train();
        long first = ema?.LastStep ?? 0; // a second call continues the steps (the step rule: each greater than the last)
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            Tensor input = randn(8, 3);
            Tensor loss = model.call(input).pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            ema?.Update(first + step, first + steps);
        }
    }

    private static TorchSharp.Modules.Linear OnesLinear(ScalarType dtype)
    {
        TorchSharp.Modules.Linear linear = nn.Linear(4, 4, dtype: dtype);
        using var _ = no_grad();
        linear.weight!.fill_(1.0);
        linear.bias!.fill_(1.0);
        return linear;
    }

    private sealed class IntegerOnly : nn.Module
    {
        public IntegerOnly()
            : base(nameof(IntegerOnly))
        {
            register_buffer("counter", zeros(1, dtype: ScalarType.Int64));
        }
    }

    private sealed class Tied : nn.Module
    {
        private readonly nn.Module<Tensor, Tensor> first;
        private readonly nn.Module<Tensor, Tensor> second;

        public Tied()
            : base(nameof(Tied))
        {
            var a = nn.Linear(3, 3, hasBias: false);
            var b = nn.Linear(3, 3, hasBias: false);
            b.weight = a.weight;
            first = a;
            second = b;
            RegisterComponents();
        }
    }
}
