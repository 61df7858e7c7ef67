using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// Misuse not covered in ModelEmaTests: use after Dispose, Dispose inside a validation scope, scopes disposed twice
/// or late, a model moved after the EMA was made, an empty model. Each is a clear error or correct behaviour.
/// </summary>
public sealed class MisuseTests
{
    [Fact]
    public void Every_member_after_Dispose_throws_ObjectDisposedException_and_a_second_Dispose_is_harmless()
    {
        using var model = new LinearBatchNorm();
        var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        var weights = new Dictionary<string, Tensor>(ema.EmaWeights);
        ema.Dispose();
        ema.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ema.Update(1, 2));
        Assert.Throws<ObjectDisposedException>(() => ema.UseEmaWeights());
        Assert.Throws<ObjectDisposedException>(ema.CopyToModel);
        Assert.Throws<ObjectDisposedException>(() => ema.EmaWeights);
        Assert.Throws<ObjectDisposedException>(() => ema.Load(weights, 1));
        using var dir = new TempDir();
        Assert.Throws<ObjectDisposedException>(() => Checkpoint.Save(dir.File("x.safetensors"), model, ema));
        Assert.Empty(Directory.GetFiles(dir.Path)); // not even a temporary file
    }

    [Fact]
    public void Disposing_the_EMA_inside_UseEmaWeights_gives_the_model_its_raw_weights_back_and_training_goes_on()
    {
        manual_seed(40);
        using var model = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        ModelEmaTests.Train(model, optimizer, steps: 3, ema);
        Dictionary<string, float[]> raw = Snapshot(model);
        Assert.True(AnyDifferent(raw, Snapshot(ema.EmaWeights)));

        IDisposable scope = ema.UseEmaWeights();
        Assert.False(AnyDifferent(Snapshot(ema.EmaWeights), Snapshot(model)));
        ema.Dispose();

        AssertSame(raw, Snapshot(model)); // raw weights, bit for bit
        Assert.False(ema.IsEmaInModel);
        scope.Dispose(); // after the EMA: harmless, the weights stay raw
        AssertSame(raw, Snapshot(model));

        // The parameters still own live memory: the optimizer made before the EMA keeps training them.
        ModelEmaTests.Train(model, optimizer, steps: 1, ema: null);
        Assert.True(AnyDifferent(raw, Snapshot(model)));
        Assert.All(Snapshot(model).Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Disposing_a_scope_twice_is_harmless_and_a_stale_scope_cannot_end_a_newer_one()
    {
        manual_seed(41);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using (no_grad())
        {
            model.state_dict()["linear.weight"].add_(1.0f);
        }

        ema.Update(1, 2);
        Dictionary<string, float[]> raw = Snapshot(model), averaged = Snapshot(ema.EmaWeights);

        IDisposable first = ema.UseEmaWeights();
        first.Dispose();
        first.Dispose();
        Assert.False(ema.IsEmaInModel);
        AssertSame(raw, Snapshot(model));

        using (ema.UseEmaWeights())
        {
            first.Dispose(); // the old scope again, while a new one is active
            Assert.True(ema.IsEmaInModel);
            AssertSame(averaged, Snapshot(model));
        }

        AssertSame(raw, Snapshot(model));
    }

    [Theory]
    [InlineData("float64")]
    [InlineData("meta-device")]
    public void A_model_moved_after_the_EMA_was_made_is_a_clear_error_everywhere_and_a_new_EMA_works(string move)
    {
        using var model = new LinearBatchNorm();
        var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        if (move == "float64")
        {
            model.to(ScalarType.Float64);
        }
        else
        {
            model.to(new Device(DeviceType.META)); // another device without a GPU: the parameters are replaced the same way
        }

        using var dir = new TempDir();
        foreach (Action use in new Action[]
        {
            () => ema.Update(1, 10),
            () => ema.UseEmaWeights(),
            ema.CopyToModel,
            () => _ = ema.EmaWeights,
            () => Checkpoint.Save(dir.File("moved.safetensors"), model, ema),
        })
        {
            var error = Assert.Throws<InvalidOperationException>(use);
            Assert.Contains("was replaced or disposed after the ModelEma was made", error.Message, StringComparison.Ordinal);
            Assert.Contains("make the ModelEma after moving the model", error.Message, StringComparison.Ordinal);
        }

        ema.Dispose();
        if (move == "float64")
        {
            using var fresh = new ModelEma(model, new ConstantEmaParams(0.5));
            Assert.Equal(ScalarType.Float64, fresh.EmaWeights["linear.weight"].dtype);
            using (no_grad())
            {
                model.state_dict()["linear.weight"].add_(2.0);
            }

            float before = ModuleValues.Get(fresh.EmaWeights["linear.weight"])[0];
            fresh.Update(1, 10);
            Assert.Equal(before + 1.0f, ModuleValues.Get(fresh.EmaWeights["linear.weight"])[0], 5);
        }
    }

    [Fact]
    public void A_model_with_no_tensors_at_all_is_rejected_clearly()
    {
        using var model = new Empty();
        var error = Assert.Throws<ArgumentException>(() => new ModelEma(model, new ExpEmaParams()));
        Assert.Contains("no floating-point parameters or buffers", error.Message, StringComparison.Ordinal);
    }

    private sealed class Empty : nn.Module
    {
        public Empty()
            : base(nameof(Empty))
        {
        }
    }
}
