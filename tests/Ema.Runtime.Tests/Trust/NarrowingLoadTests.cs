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
