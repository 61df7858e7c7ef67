using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

public sealed class NonFiniteTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void By_default_a_non_finite_model_is_skipped_with_a_warning_and_the_EMA_stays_finite(double bad)
    {
        using var model = new LinearBatchNorm();
        var warnings = new List<string>();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Logger = new ListLogger(warnings) });
        ema.Update(1, 3);
        float[] before = ModuleValues.Get(ema.EmaWeights["linear.weight"]);
        using (no_grad())
        {
            model.state_dict()["bn.bias"][1] = tensor((float)bad);
        }

        ema.Update(2, 3);

        Assert.Equal(1, ema.SkippedUpdates);
        Assert.Equal(1, ema.Step); // the skipped step did not count
        Assert.Single(warnings);
        Assert.Contains("bn.bias", warnings[0]);
        Assert.Contains("step 2", warnings[0]);
        Assert.Equal(before, ModuleValues.Get(ema.EmaWeights["linear.weight"]));
        Assert.All(ModuleValues.Get(ema.EmaWeights["bn.bias"]), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void The_Throw_policy_raises_and_leaves_the_EMA_unchanged()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { NonFinite = NonFinitePolicy.Throw });
        float[] before = ModuleValues.Get(ema.EmaWeights["linear.weight"]);
        using (no_grad())
        {
            model.state_dict()["linear.weight"][0, 0] = tensor(float.NaN);
        }

        var error = Assert.Throws<NonFiniteWeightsException>(() => ema.Update(1, 2));

        Assert.Equal(1, error.Step);
        Assert.Contains("linear.weight", error.Message);
        Assert.Equal(before, ModuleValues.Get(ema.EmaWeights["linear.weight"]));
    }

    [Fact]
    public void The_Ignore_policy_lets_NaN_into_the_EMA()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { NonFinite = NonFinitePolicy.Ignore });
        using (no_grad())
        {
            model.state_dict()["linear.weight"][0, 0] = tensor(float.NaN);
        }

        ema.Update(1, 2);

        Assert.True(float.IsNaN(ModuleValues.Get(ema.EmaWeights["linear.weight"])[0]));
        Assert.Equal(0, ema.SkippedUpdates);
    }

    [Theory]
    [InlineData(ScalarType.Float32, double.NaN)]
    [InlineData(ScalarType.Float32, double.NegativeInfinity)]
    [InlineData(ScalarType.BFloat16, double.PositiveInfinity)]
    [InlineData(ScalarType.BFloat16, double.NegativeInfinity)]
    [InlineData(ScalarType.Float16, double.NaN)]
    [InlineData(ScalarType.Float16, double.NegativeInfinity)]
    [InlineData(ScalarType.Float64, double.PositiveInfinity)]
    public void Every_floating_dtype_is_checked(ScalarType dtype, double bad)
    {
        using var model = nn.Linear(8, 8, dtype: dtype);
        var warnings = new List<string>();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Logger = new ListLogger(warnings) });
        using (no_grad())
        {
            model.bias![3] = tensor(bad, dtype: dtype);
        }

        ema.Update(1, 2);

        Assert.Equal(1, ema.SkippedUpdates);
        Assert.Contains("'bias'", Assert.Single(warnings));
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e37)]   // 64 weights of -1e37 sum past float32's -3.4e38: the fast test fails
    [InlineData(ScalarType.BFloat16, 1e37)]  // and bfloat16's, which has float32's range
    [InlineData(ScalarType.Float16, 2000.0)] // 64 x 2,000 is past float16's 65,504
    [InlineData(ScalarType.Float16, 65504.0)]
    public void Large_finite_weights_are_averaged_not_mistaken_for_infinity(ScalarType dtype, double large)
    {
        using var model = nn.Linear(8, 8, dtype: dtype);
        using (no_grad())
        {
            model.weight!.fill_(-large);
            model.bias!.fill_(large);
        }

        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { NonFinite = NonFinitePolicy.Throw });
        using (no_grad())
        {
            model.bias!.fill_(0.0);
        }

        using (Tensor weightSum = model.weight!.sum())
        using (Tensor asDouble = weightSum.to(ScalarType.Float64))
        {
            Assert.True(double.IsInfinity(asDouble.item<double>())); // so the exact test is what decides
        }

        ema.Update(1, 2);

        Assert.Equal(0, ema.SkippedUpdates);
        Assert.Equal(1, ema.Step);
        using Tensor averaged = ema.EmaWeights["bias"].to(ScalarType.Float64);
        Assert.All(averaged.data<double>().ToArray(), v => Assert.Equal(large / 2, v, large * 1e-2));
    }

    [Fact]
    public void A_zero_size_parameter_does_not_break_finding_the_bad_tensor()
    {
        using var model = new WithEmptyParameter();
        var warnings = new List<string>();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Logger = new ListLogger(warnings) });
        using (no_grad())
        {
            model.state_dict()["last"][1] = tensor(float.NaN);
        }

        ema.Update(1, 2);

        Assert.Equal(1, ema.SkippedUpdates);
        Assert.Contains("'last'", Assert.Single(warnings));
    }

    private sealed class WithEmptyParameter : nn.Module
    {
        public WithEmptyParameter()
            : base(nameof(WithEmptyParameter))
        {
            // State-dict order puts the empty tensor before the bad one, so the search for the bad one passes it.
            register_parameter("first", new TorchSharp.Modules.Parameter(ones(3)));
            register_parameter("empty", new TorchSharp.Modules.Parameter(empty(0)));
            register_parameter("last", new TorchSharp.Modules.Parameter(ones(3)));
        }
    }
}
