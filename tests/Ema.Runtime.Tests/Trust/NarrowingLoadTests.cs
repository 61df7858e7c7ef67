using TorchSharp;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// Loading into a narrower dtype (a float32 checkpoint into a half-precision model): a finite value beyond the
/// narrower dtype's range used to load as infinity, silently. It is refused, naming the tensor and the value, with
/// the model unchanged; values within range still load (rounded, as any conversion rounds).
/// </summary>
public sealed class NarrowingLoadTests
{
    [Theory]
    [InlineData(ScalarType.Float32, ScalarType.Float16, 70000.0, "65504")]
    [InlineData(ScalarType.Float64, ScalarType.Float32, 1e300, "3.4028234663852886E+38")]
    public void A_value_beyond_the_model_dtype_is_refused_and_the_model_is_unchanged(ScalarType stored, ScalarType modelDtype, double value, string limit)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "wide.safetensors");
        using (var source = new LinearBatchNorm())
        {
            source.to(stored);
            ModuleValues.Set(source, "bn.running_var", [1, 2, (float)Math.Min(value, 1e30), 4]);
            if (value > float.MaxValue)
            {
                using var _ = no_grad();
                using Tensor element = source.state_dict()["bn.running_var"][2];
                element.fill_(value);
            }

            Checkpoint.Save(path, source);
        }

        using var model = new LinearBatchNorm();
        model.to(modelDtype);
        Dictionary<string, float[]> before = Snapshot(model);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, path, CheckpointWeights.Raw));

        Assert.Equal("net.bn.running_var", error.TensorName);
        Assert.Contains(limit, error.Message, StringComparison.Ordinal);
        Assert.Contains("infinity", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
    }

    [Fact]
    public void Values_within_the_narrower_range_still_load()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "wide.safetensors");
        using (var source = new LinearBatchNorm())
        {
            ModuleValues.Set(source, "bn.running_var", [1, 2, 65000, float.PositiveInfinity]);
            Checkpoint.Save(path, source);
        }

        using var model = new LinearBatchNorm();
        model.to(ScalarType.Float16);
        Checkpoint.LoadForInference(model, path, CheckpointWeights.Raw);

        Assert.Equal([1, 2, 64992, float.PositiveInfinity], ModuleValues.Get(model.state_dict()["bn.running_var"]));
    }
}

/// <summary>The same rule for post-hoc synthesis: a synthesized value a narrower model dtype cannot hold is refused.</summary>
public sealed class NarrowingSynthesisTests
{
    [Fact]
    public void A_synthesized_value_beyond_float16_is_refused_for_a_float16_model_and_the_model_is_unchanged()
    {
        using var dir = new TempDir();
        using (var run = new LinearBatchNorm())
        {
            // A float32 run whose BatchNorm variance holds 70000 throughout: every power EMA of it holds 70000.
            ModuleValues.Set(run, "bn.running_var", [1, 2, 70000, 4]);
            using var postHoc = new PostHocEma(run, new PostHocEmaOptions { SnapshotDirectory = dir.Path, SnapshotEvery = 10 });
            for (long step = 1; step <= 40; step++)
            {
                postHoc.Update(step, 40);
            }
        }

        using var half = new LinearBatchNorm();
        half.to(ScalarType.Float16);
        Dictionary<string, float[]> before = ModuleValues.Snapshot(half);

        var error = Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(dir.Path, 0.08, half));

        Assert.Equal("model", error.ParamName);
        Assert.Contains("'bn.running_var'", error.Message, StringComparison.Ordinal);
        Assert.Contains("65504", error.Message, StringComparison.Ordinal);
        AssertSame(before, ModuleValues.Snapshot(half));

        // Into a float32 model of the same architecture the same snapshots are synthesized: the least-squares weights
        // need not sum to 1 (EDM2's solve), so the constant comes back within the fit's 5%, not exactly.
        using var full = new LinearBatchNorm();
        PostHocEma.Synthesize(dir.Path, 0.08, full);
        Assert.Equal(70000, ModuleValues.Get(full.state_dict()["bn.running_var"])[2], 70000 * 0.05);
    }
}
