using TorchSharp;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// One rule for every operation that writes a model's tensors (TensorClaims.ThrowIfNotWritable): refused while the
/// model holds an EMA's weights (inside UseEmaWeights) or is bound as a twin, naming the scope or the binding, with
/// nothing changed.
/// </summary>
public sealed class StateGuardTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _checkpoint;

    public StateGuardTests()
    {
        // A checkpoint of another instance with other weights: loading it would visibly change whatever it lands in.
        using var other = new LinearBatchNorm();
        using var otherEma = new ModelEma(other, new ConstantEmaParams(0.5));
        _checkpoint = _dir.File("other.safetensors");
        Checkpoint.Save(_checkpoint, other, otherEma);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("LoadForInference")]
    [InlineData("Resume")]
    public void Loading_a_checkpoint_inside_UseEmaWeights_is_refused_and_changes_neither_the_model_nor_the_EMA(string operation)
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        ModelEmaTests.Train(model, optim.SGD(model.parameters(), 0.1), steps: 3, ema);
        Dictionary<string, float[]> raw = Snapshot(model);
        Dictionary<string, float[]> average = Snapshot(ema.EmaWeights);

        using (ema.UseEmaWeights())
        {
            var error = Assert.Throws<InvalidOperationException>(() => Load(operation, model, ema: null));
            Assert.Contains("Checkpoint." + operation, error.Message, StringComparison.Ordinal);
            Assert.Contains("UseEmaWeights()", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
        }

        AssertSame(raw, Snapshot(model));
        AssertSame(average, Snapshot(ema.EmaWeights));
        Assert.Equal("ema_net", Checkpoint.LoadForInference(model, _checkpoint)); // after the scope it loads
    }

    [Theory]
    [InlineData("LoadForInference")]
    [InlineData("Resume")]
    public void Loading_a_checkpoint_into_a_bound_twin_is_refused_and_leaves_the_EMA_unchanged(string operation)
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        ModelEmaTests.Train(model, optim.SGD(model.parameters(), 0.1), steps: 3, ema);
        Dictionary<string, float[]> average = Snapshot(ema.EmaWeights);
        using (TwinBinding binding = ema.BindTwin(twin))
        {
            var error = Assert.Throws<InvalidOperationException>(() => Load(operation, twin, ema: null));
            Assert.Contains("BindTwin", error.Message, StringComparison.Ordinal);
            Assert.Contains("TwinBinding", error.Message, StringComparison.Ordinal);
            AssertSame(average, Snapshot(ema.EmaWeights));
            AssertSame(average, Snapshot(twin));
        }

        Checkpoint.LoadForInference(twin, _checkpoint); // unbound, the twin is a module of its own again
        AssertSame(average, Snapshot(ema.EmaWeights));
    }

    [Fact]
    public void The_rule_holds_per_tensor_so_a_part_of_a_model_inside_UseEmaWeights_is_refused_too()
    {
        using var model = new Wrapper();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using var part = new LinearBatchNorm();
        Checkpoint.Save(_dir.File("part.safetensors"), part);
        Dictionary<string, float[]> raw = Snapshot(model.Inner);

        using (ema.UseEmaWeights())
        {
            var error = Assert.Throws<InvalidOperationException>(() => Checkpoint.LoadForInference(model.Inner, _dir.File("part.safetensors")));
            Assert.Contains("'linear.weight'", error.Message, StringComparison.Ordinal);
        }

        AssertSame(raw, Snapshot(model.Inner));
    }

    [Fact]
    public void Synthesize_inside_UseEmaWeights_or_into_a_bound_twin_is_refused()
    {
        string snapshots = _dir.File("posthoc");
        using var model = new LinearBatchNorm();
        using (var postHoc = new PostHocEma(model, new PostHocEmaOptions { SnapshotDirectory = snapshots, SnapshotEvery = 2 }))
        {
            for (long step = 1; step <= 4; step++)
            {
                postHoc.Update(step, 4);
            }
        }

        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        Dictionary<string, float[]> raw = Snapshot(model);
        using (ema.UseEmaWeights())
        {
            var error = Assert.Throws<InvalidOperationException>(() => PostHocEma.Synthesize(snapshots, 0.08, model));
            Assert.Contains("PostHocEma.Synthesize", error.Message, StringComparison.Ordinal);
            Assert.Contains("UseEmaWeights()", error.Message, StringComparison.Ordinal);
        }

        AssertSame(raw, Snapshot(model));

        using var twin = new LinearBatchNorm();
        Dictionary<string, float[]> average = Snapshot(ema.EmaWeights);
        using (ema.BindTwin(twin))
        {
            Assert.Contains("BindTwin", Assert.Throws<InvalidOperationException>(() => PostHocEma.Synthesize(snapshots, 0.08, twin)).Message, StringComparison.Ordinal);
        }

        AssertSame(average, Snapshot(ema.EmaWeights));
    }

    [Fact]
    public void A_new_PostHocEma_or_ModelEma_over_a_model_inside_a_scope_or_over_a_twin_is_refused()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        var options = new PostHocEmaOptions { SnapshotDirectory = _dir.File("never"), SnapshotEvery = 1 };
        using (ema.UseEmaWeights())
        {
            Assert.Throws<InvalidOperationException>(() => new PostHocEma(model, options));
        }

        using (ema.BindTwin(twin))
        {
            Assert.Contains("BindTwin", Assert.Throws<InvalidOperationException>(() => new PostHocEma(twin, options)).Message, StringComparison.Ordinal);
            Assert.Contains("BindTwin", Assert.Throws<InvalidOperationException>(() => new ModelEma(twin, new ConstantEmaParams(0.5))).Message, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(options.SnapshotDirectory));
    }

    [Fact]
    public void A_twin_cannot_be_bound_to_a_second_EMA_through_a_module_that_holds_it()
    {
        using var model = new LinearBatchNorm();
        using var other = new Wrapper();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using var otherEma = new ModelEma(other, new ConstantEmaParams(0.5));
        using var twin = new Wrapper();
        using TwinBinding binding = otherEma.BindTwin(twin);
        Dictionary<string, float[]> average = Snapshot(otherEma.EmaWeights);

        // The twin's part is an instance of model's architecture, and its tensors view otherEma's weights.
        var error = Assert.Throws<InvalidOperationException>(() => ema.BindTwin(twin.Inner));

        Assert.Contains("BindTwin", error.Message, StringComparison.Ordinal);
        AssertSame(average, Snapshot(otherEma.EmaWeights));
    }

    private CheckpointInfo? Load(string operation, nn.Module model, ModelEma? ema)
    {
        if (operation == "LoadForInference")
        {
            Checkpoint.LoadForInference(model, _checkpoint);
            return null;
        }

        return Checkpoint.Resume(_checkpoint, model, ema, optimizer: null);
    }

    /// <summary>A model whose whole state is one LinearBatchNorm under "inner.".</summary>
    private sealed class Wrapper : nn.Module<Tensor, Tensor>
    {
        private readonly LinearBatchNorm inner;

        public Wrapper()
            : base(nameof(Wrapper))
        {
            inner = new LinearBatchNorm();
            RegisterComponents();
        }

        public LinearBatchNorm Inner => inner;

        public override Tensor forward(Tensor input) => inner.call(input);
    }
}
