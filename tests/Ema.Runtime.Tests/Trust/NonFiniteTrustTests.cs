using TorchSharp;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// The EMA never holds a non-finite value that its policy does not allow, in memory or in a file: left-out tensors are
/// checked too, a narrower EMA dtype cannot overflow to infinity, a model that is already NaN is not copied, loads and
/// saves are checked; and the skip warning is summarized, not repeated every step.
/// </summary>
public sealed class NonFiniteTrustTests
{
    [Fact]
    public void A_NaN_in_a_left_out_tensor_is_refused_under_Throw_and_never_reaches_a_checkpoint()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions
        {
            NonFinite = NonFinitePolicy.Throw,
            Exclude = EmaExclude.Names("bn.weight"),
        });
        ema.Update(1, 10);
        SetNaN(model, "bn.weight");

        var error = Assert.Throws<NonFiniteWeightsException>(() => ema.Update(2, 10));
        Assert.Contains("'bn.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ModelEmaOptions.Exclude", error.Message, StringComparison.Ordinal);

        string path = dir.File("ckpt.safetensors");
        var save = Assert.Throws<NonFiniteWeightsException>(() => Checkpoint.Save(path, model, ema));
        Assert.Contains("Checkpoint.Save", save.Message, StringComparison.Ordinal);
        Assert.Contains("'bn.weight'", save.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Under_Skip_a_NaN_in_a_left_out_tensor_skips_the_update_with_a_warning_naming_it()
    {
        using var model = new LinearBatchNorm();
        var warnings = new List<string>();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions
        {
            Exclude = EmaExclude.Names("bn.weight"),
            Logger = new ListLogger(warnings),
        });
        SetNaN(model, "bn.weight");

        ema.Update(1, 10);

        Assert.Equal(1, ema.SkippedUpdates);
        Assert.Contains("'bn.weight'", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_already_holds_NaN_is_refused_at_construction_unless_the_policy_is_Ignore()
    {
        using var model = new LinearBatchNorm();
        SetNaN(model, "linear.bias");

        var error = Assert.Throws<NonFiniteWeightsException>(() => new ModelEma(model, new ConstantEmaParams(0.5)));
        Assert.Contains("'linear.bias'", error.Message, StringComparison.Ordinal);
        Assert.Contains("start from it", error.Message, StringComparison.Ordinal);

        using var allowed = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { NonFinite = NonFinitePolicy.Ignore });
        Assert.Contains(ModuleValues.Get(allowed.EmaWeights["linear.bias"]), float.IsNaN);
    }

    [Fact]
    public void A_float16_EMA_of_a_float32_model_refuses_values_it_cannot_hold_instead_of_turning_them_into_infinity()
    {
        using var model = new LinearBatchNorm();
        var options = new ModelEmaOptions { FloatingDtype = ScalarType.Float16, NonFinite = NonFinitePolicy.Throw };
        using (no_grad())
        {
            model.state_dict()["linear.weight"][0, 0] = tensor(1e5f);
        }

        var atStart = Assert.Throws<ArgumentException>(() => new ModelEma(model, new ConstantEmaParams(0.5), options));
        Assert.Contains("'linear.weight'", atStart.Message, StringComparison.Ordinal);
        Assert.Contains("65504", atStart.Message, StringComparison.Ordinal);

        using (no_grad())
        {
            model.state_dict()["linear.weight"][0, 0] = tensor(1.0f);
        }

        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), options);
        ema.Update(1, 10);
        using (no_grad())
        {
            model.state_dict()["linear.weight"][0, 0] = tensor(7e4f); // finite in float32, infinity in float16
        }

        var atUpdate = Assert.Throws<NonFiniteWeightsException>(() => ema.Update(2, 10));
        Assert.Contains("'linear.weight'", atUpdate.Message, StringComparison.Ordinal);
        Assert.Contains("beyond 65504", atUpdate.Message, StringComparison.Ordinal);
        Assert.All(ModuleValues.Get(ema.EmaWeights["linear.weight"]), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Loading_NaN_weights_is_refused_with_nothing_changed_and_a_streamed_NaN_leaves_the_EMA_refusing_until_a_good_load()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        Dictionary<string, float[]> before = Snapshot(ema.EmaWeights);
        Dictionary<string, Tensor> good = ema.EmaWeights.ToDictionary(p => p.Key, p => p.Value.clone());
        Dictionary<string, Tensor> bad = ema.EmaWeights.ToDictionary(p => p.Key, p => p.Value.clone());
        using (no_grad())
        {
            bad["bn.running_var"][2] = tensor(float.NaN);
        }

        var error = Assert.Throws<NonFiniteWeightsException>(() => ema.Load(bad, 3));
        Assert.Contains("'bn.running_var'", error.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(ema.EmaWeights));

        // A checkpoint whose ema_net holds NaN (written by an EMA that allowed it), streamed in by Resume.
        using var ignoring = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { NonFinite = NonFinitePolicy.Ignore });
        ignoring.Load(bad, 3);
        string path = dir.File("nan.safetensors");
        Checkpoint.Save(path, model, ignoring);
        ignoring.Dispose();

        Assert.Throws<NonFiniteWeightsException>(() => Checkpoint.Resume(path, model, ema, optimizer: null));
        Assert.Contains("'bn.running_var'", Assert.Throws<InvalidOperationException>(() => ema.EmaWeights).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ema.Update(4, 10));

        ema.Load(good, 3);
        AssertSame(before, Snapshot(ema.EmaWeights));
        ema.Update(4, 10);
    }

    [Fact]
    public void The_skip_warning_is_written_at_the_1st_2nd_4th_and_8th_skip_while_SkippedUpdates_counts_every_one()
    {
        using var model = new LinearBatchNorm();
        var warnings = new List<string>();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Logger = new ListLogger(warnings) });
        SetNaN(model, "linear.weight");

        for (long step = 1; step <= 12; step++)
        {
            ema.Update(step, 100);
        }

        Assert.Equal(12, ema.SkippedUpdates);
        Assert.Equal(4, warnings.Count);
        Assert.Contains("at step 1 ", warnings[0], StringComparison.Ordinal);
        Assert.Contains("at step 8 ", warnings[3], StringComparison.Ordinal);
        Assert.Contains("8 update(s) skipped so far", warnings[3], StringComparison.Ordinal);
    }

    private static void SetNaN(nn.Module model, string name)
    {
        using var _ = no_grad();
        model.state_dict()[name].view(-1)[0] = tensor(float.NaN);
    }
}
