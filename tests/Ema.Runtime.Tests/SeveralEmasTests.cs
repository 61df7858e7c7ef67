using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>Several ModelEma objects of one model: each averages the model's real buffer, in any order of disposal and scopes.</summary>
public sealed class SeveralEmasTests
{
    [Fact]
    public void Each_EMA_of_one_model_equals_the_single_EMA_of_a_copy_with_its_own_schedule_and_options()
    {
        manual_seed(21);
        using var model = new LinearBatchNorm();
        using var copyA = new LinearBatchNorm();
        using var copyB = new LinearBatchNorm();
        copyA.load_state_dict(model.state_dict());
        copyB.load_state_dict(model.state_dict());
        var optionsB = new ModelEmaOptions { FloatingDtype = ScalarType.Float64 };
        using var a = new ModelEma(model, new ConstantEmaParams(0.9));
        using var b = new ModelEma(model, new PowerEmaParams(sigmaRel: 0.1), optionsB);
        using var c = new ModelEma(model, new TauEmaParams(0.99, tau: 3), new ModelEmaOptions { UpdateEvery = 2 });
        using var aloneA = new ModelEma(copyA, new ConstantEmaParams(0.9));
        using var aloneB = new ModelEma(copyB, new PowerEmaParams(sigmaRel: 0.1), optionsB);

        using Generator random = new Generator(5);
        for (long step = 1; step <= 12; step++)
        {
            Tensor weight = model.state_dict()["linear.weight"];
            using (no_grad())
            using (Tensor move = randn(weight.shape, generator: random))
            {
                // The model's own Parameter objects, as an optimizer would change them.
                weight.add_(move);
                copyA.state_dict()["linear.weight"].add_(move);
                copyB.state_dict()["linear.weight"].add_(move);
            }

            a.Update(step, 12);
            b.Update(step, 12);
            c.Update(step, 12);
            aloneA.Update(step, 12);
            aloneB.Update(step, 12);
        }

        TrainingSupport.AssertSame(TrainingSupport.Snapshot(aloneA.EmaWeights), TrainingSupport.Snapshot(a.EmaWeights));
        TrainingSupport.AssertSame(TrainingSupport.Snapshot(aloneB.EmaWeights), TrainingSupport.Snapshot(b.EmaWeights));
        Assert.True(TrainingSupport.AnyDifferent(TrainingSupport.Snapshot(a.EmaWeights), TrainingSupport.Snapshot(b.EmaWeights)));
        Assert.Equal(12, c.Step);
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(2, 1, 0)]
    [InlineData(1, 0, 2)]
    [InlineData(1, 2, 0)]
    public void Disposing_them_in_any_order_leaves_the_model_its_values_even_from_inside_a_scope(int first, int second, int third)
    {
        manual_seed(8);
        using var model = new LinearBatchNorm();
        var emas = new[]
        {
            new ModelEma(model, new ConstantEmaParams(0.5)),
            new ModelEma(model, new ExpEmaParams(), new ModelEmaOptions { FloatingDtype = ScalarType.Float64 }),
            new ModelEma(model, new WarmupEmaParams()),
        };
        using (no_grad())
        {
            model.state_dict()["linear.weight"].add_(1.0);
        }

        foreach (ModelEma ema in emas)
        {
            ema.Update(1, 10);
        }

        Dictionary<string, float[]> own = TrainingSupport.Snapshot(model);
        IDisposable scope = emas[second].UseEmaWeights(); // disposed with its EMA, possibly after others went

        emas[first].Dispose();
        emas[second].Dispose();
        TrainingSupport.AssertSame(own, TrainingSupport.Snapshot(model));
        emas[third].Update(2, 10);
        emas[third].Dispose();
        scope.Dispose();

        TrainingSupport.AssertSame(own, TrainingSupport.Snapshot(model));
        // The model still trains through its own Parameter objects, and a new EMA sees what it trains.
        using var again = new ModelEma(model, new ConstantEmaParams(0.5));
        using (no_grad())
        {
            model.state_dict()["linear.weight"].add_(2.0);
        }

        again.Update(1, 1);
        float[] expected = own["linear.weight"].Select(v => v + 1.0f).ToArray();
        float[] actual = ModuleValues.Get(again.EmaWeights["linear.weight"]);
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 5));
    }

    [Fact]
    public void UseEmaWeights_of_one_puts_its_weights_in_the_model_and_leaves_the_others_alone()
    {
        manual_seed(9);
        using var model = new LinearBatchNorm();
        using var a = new ModelEma(model, new ConstantEmaParams(0.5));
        using var b = new ModelEma(model, new ConstantEmaParams(0.9), new ModelEmaOptions { FloatingDtype = ScalarType.Float64 });
        using (no_grad())
        {
            model.state_dict()["linear.weight"].add_(1.0);
        }

        a.Update(1, 1);
        b.Update(1, 1);
        Dictionary<string, float[]> own = TrainingSupport.Snapshot(model);
        Dictionary<string, float[]> bWeights = TrainingSupport.Snapshot(b.EmaWeights);

        using (a.UseEmaWeights())
        {
            Assert.Equal(ModuleValues.Get(a.EmaWeights["linear.weight"]), ModuleValues.Get(model.state_dict()["linear.weight"]));
            Assert.True(a.IsEmaInModel);
            Assert.False(b.IsEmaInModel);
        }

        TrainingSupport.AssertSame(own, TrainingSupport.Snapshot(model));
        using (b.UseEmaWeights())
        {
            Assert.Equal(bWeights["linear.weight"], ModuleValues.Get(model.state_dict()["linear.weight"]));
        }

        TrainingSupport.AssertSame(own, TrainingSupport.Snapshot(model));
        TrainingSupport.AssertSame(bWeights, TrainingSupport.Snapshot(b.EmaWeights));
    }

    [Fact]
    public void Using_another_EMA_inside_one_EMAs_scope_is_a_clear_error()
    {
        using var model = new LinearBatchNorm();
        using var a = new ModelEma(model, new ConstantEmaParams(0.5));
        using var b = new ModelEma(model, new ConstantEmaParams(0.9));
        using (a.UseEmaWeights())
        {
            Assert.Contains("another ModelEma of the same model is inside its UseEmaWeights()", Assert.Throws<InvalidOperationException>(() => b.Update(1, 2)).Message);
            Assert.Contains("another ModelEma", Assert.Throws<InvalidOperationException>(() => b.UseEmaWeights()).Message);
            Assert.Contains("another ModelEma", Assert.Throws<InvalidOperationException>(b.CopyToModel).Message);
            Assert.Contains("inside another ModelEma's UseEmaWeights()", Assert.Throws<InvalidOperationException>(() => new ModelEma(model, new ExpEmaParams())).Message);
        }

        b.Update(1, 2);
        Assert.Equal(1, b.Step);
    }

    [Fact]
    public void An_EMA_of_a_part_of_an_averaged_model_is_a_clear_error()
    {
        using var model = new LinearBatchNorm();
        using var whole = new ModelEma(model, new ConstantEmaParams(0.5));
        var part = model.named_children().First().module;

        var error = Assert.Throws<InvalidOperationException>(() => new ModelEma(part, new ConstantEmaParams(0.5)));

        Assert.Contains("a part (or a parent) of a model", error.Message, StringComparison.Ordinal);
    }
}
