using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>ModelEma.BindTwin: a second instance of the model's architecture that computes with the EMA weights.</summary>
public sealed class TwinTests
{
    [Fact]
    public void The_twin_computes_what_the_model_computes_inside_UseEmaWeights_bit_for_bit_after_several_updates()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.7));
        using TwinBinding binding = ema.BindTwin(twin);
        using Tensor input = randn(16, 3);

        for (int round = 0; round < 3; round++)
        {
            ModelEmaTests.Train(model, optimizer, steps: 4, ema);
            using Tensor fromTwin = twin.call(input);
            model.eval();
            using (ema.UseEmaWeights())
            {
                using Tensor fromModel = model.call(input);
                Assert.True(BitEqual(fromModel, fromTwin), $"round {round}: the twin's output differs from the model's inside UseEmaWeights");
            }

            using Tensor raw = model.call(input);
            Assert.False(BitEqual(raw, fromTwin)); // the twin does not compute with the raw weights
        }
    }

    [Fact]
    public void Twin_tensors_view_the_EMA_integer_buffers_follow_each_update_and_parameters_do_not_require_grad()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using TwinBinding binding = ema.BindTwin(twin);

        Assert.True(binding.IsBound);
        Assert.Same(twin, binding.Twin);
        Assert.False(twin.training);
        foreach ((string name, Tensor tensor) in twin.state_dict())
        {
            Assert.True(SameMemory(ema.EmaWeights[name], tensor), name); // no copy: the same memory
        }

        Assert.All(twin.parameters(), p => Assert.False(p.requires_grad));

        ModelEmaTests.Train(model, optimizer, steps: 5, ema);
        AssertSame(Snapshot(ema.EmaWeights), Snapshot(twin));
        Assert.Equal(5L, twin.state_dict()["bn.num_batches_tracked"].item<long>());
        Assert.Equal(model.state_dict()["bn.num_batches_tracked"].item<long>(), twin.state_dict()["bn.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void A_twin_of_another_architecture_is_refused_naming_the_first_difference()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());

        using var wider = new LinearBatchNormOf(3, 5);
        ArgumentException shape = Assert.Throws<ArgumentException>(() => ema.BindTwin(wider));
        Assert.Contains("'linear.weight' has shape [5, 3]; the model's is [4, 3]", shape.Message);

        using var other = nn.Linear(3, 4);
        ArgumentException name = Assert.Throws<ArgumentException>(() => ema.BindTwin(other));
        Assert.Contains("a tensor 'weight' that the model has not", name.Message);

        using var smaller = new LinearOnly();
        ArgumentException missing = Assert.Throws<ArgumentException>(() => ema.BindTwin(smaller));
        Assert.Contains("no tensor 'bn.weight'", missing.Message);

        using var doubles = new LinearBatchNorm();
        doubles.to(ScalarType.Float64);
        ArgumentException dtype = Assert.Throws<ArgumentException>(() => ema.BindTwin(doubles));
        Assert.Contains("'linear.weight' is Float64; the model's is Float32", dtype.Message);

        ArgumentException itself = Assert.Throws<ArgumentException>(() => ema.BindTwin(model));
        Assert.Contains("the model itself", itself.Message);

        // A refused twin is left untouched and still trains on its own.
        Assert.All(wider.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void The_twin_of_a_float64_EMA_of_a_float32_model_lives_in_float64()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9), new ModelEmaOptions { FloatingDtype = ScalarType.Float64 });
        using TwinBinding binding = ema.BindTwin(twin);
        ModelEmaTests.Train(model, optimizer, steps: 3, ema);

        foreach ((string name, Tensor tensor) in twin.state_dict())
        {
            Tensor emaTensor = ema.EmaWeights[name];
            Assert.Equal(emaTensor.dtype, tensor.dtype);
            Assert.True(SameMemory(emaTensor, tensor), name);
        }

        Assert.Equal(ScalarType.Float64, twin.state_dict()["linear.weight"].dtype);
        Assert.Equal(ScalarType.Int64, twin.state_dict()["bn.num_batches_tracked"].dtype);
        using Tensor input = randn(4, 3, dtype: ScalarType.Float64);
        using Tensor output = twin.call(input);
        Assert.Equal(ScalarType.Float64, output.dtype);
    }

    [Fact]
    public void An_fp32_teacher_of_a_bf16_student_is_the_twin_of_an_fp32_EMA()
    {
        using var student = new LinearBatchNorm();
        student.to(ScalarType.BFloat16);
        using var teacher = new LinearBatchNorm(); // made in float32, the EMA's dtype
        using var ema = new ModelEma(student, new ConstantEmaParams(0.9), new ModelEmaOptions { FloatingDtype = ScalarType.Float32 });
        using TwinBinding binding = ema.BindTwin(teacher);
        using (no_grad())
        {
            student.state_dict()["linear.weight"].add_(1);
        }

        ema.Update(1, 10);

        Assert.Equal(ScalarType.Float32, teacher.state_dict()["linear.weight"].dtype);
        Assert.True(SameMemory(ema.EmaWeights["linear.weight"], teacher.state_dict()["linear.weight"]));
        AssertSame(Snapshot(ema.EmaWeights), Snapshot(teacher));
        using Tensor output = teacher.call(randn(4, 3));
        Assert.Equal(ScalarType.Float32, output.dtype);
    }

    [Theory]
    [InlineData(nameof(SwapMethod.Repoint))]
    [InlineData(nameof(SwapMethod.Exchange))] // a group of many small tensors swaps by exchanging values: not while a twin views the EMA
    public void UseEmaWeights_while_a_twin_is_bound_leaves_the_twin_on_the_EMA_and_the_model_gets_its_weights_back(string method)
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        ModelEma MakeEma()
        {
            using (SwapCost.Force(Enum.Parse<SwapMethod>(method)))
            {
                return new ModelEma(model, new ConstantEmaParams(0.5));
            }
        }

        using var ema = MakeEma();
        using TwinBinding binding = ema.BindTwin(twin);
        ModelEmaTests.Train(model, optimizer, steps: 3, ema);
        Dictionary<string, float[]> raw = Snapshot(model);
        Dictionary<string, float[]> average = Snapshot(ema.EmaWeights);

        using (ema.UseEmaWeights())
        {
            AssertSame(average, Snapshot(twin));
            using var late = new LinearBatchNorm();
            Assert.Contains("inside UseEmaWeights", Assert.Throws<InvalidOperationException>(() => ema.BindTwin(late)).Message, StringComparison.Ordinal);
        }

        AssertSame(average, Snapshot(twin));
        AssertSame(raw, Snapshot(model));
        ModelEmaTests.Train(model, optimizer, steps: 1, ema);
        AssertSame(Snapshot(ema.EmaWeights), Snapshot(twin));
    }

    [Fact]
    public void Unbinding_or_disposing_the_EMA_leaves_the_twin_its_own_copy_of_the_last_EMA_weights()
    {
        using var model = new LinearBatchNorm();
        using var first = new LinearBatchNorm();
        using var second = new LinearBatchNorm();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        TwinBinding firstBinding = ema.BindTwin(first);
        TwinBinding secondBinding = ema.BindTwin(second);
        ModelEmaTests.Train(model, optimizer, steps: 2, ema);

        Dictionary<string, float[]> atUnbind = Snapshot(ema.EmaWeights);
        firstBinding.Dispose();
        firstBinding.Dispose(); // harmless
        Assert.False(firstBinding.IsBound);
        Assert.False(SameMemory(ema.EmaWeights["linear.weight"], first.state_dict()["linear.weight"]));
        ModelEmaTests.Train(model, optimizer, steps: 2, ema);
        AssertSame(atUnbind, Snapshot(first)); // a snapshot, no longer following the EMA
        AssertSame(Snapshot(ema.EmaWeights), Snapshot(second));

        Dictionary<string, float[]> atDispose = Snapshot(ema.EmaWeights);
        ema.Dispose();
        Assert.False(secondBinding.IsBound);
        AssertSame(atDispose, Snapshot(second));
        using Tensor input = randn(4, 3);
        using Tensor output = second.call(input); // still usable
        Assert.Equal(new long[] { 4, 4 }, output.shape);
        secondBinding.Dispose(); // after the EMA: harmless
    }

    [Fact]
    public void An_optimizer_over_the_twin_changes_nothing_and_a_twin_made_trainable_again_is_refused_at_the_next_update()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using TwinBinding binding = ema.BindTwin(twin);
        Dictionary<string, float[]> before = Snapshot(ema.EmaWeights);

        using var optimizer = optim.SGD(twin.parameters(), 0.1, weight_decay: 0.5);
        using (Tensor loss = twin.call(randn(4, 3)).pow(2).mean())
        {
            Assert.False(loss.requires_grad); // no graph reaches the twin's parameters
        }

        optimizer.step();
        AssertSame(before, Snapshot(ema.EmaWeights));

        twin.parameters().First().requires_grad = true;
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => ema.Update(1, 10));
        Assert.Contains("'linear.weight' requires grad again", error.Message);
    }

    [Fact]
    public void A_twin_bound_twice_is_refused_and_one_moved_after_binding_is_refused_at_the_next_update()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using TwinBinding binding = ema.BindTwin(twin);
        Assert.Throws<InvalidOperationException>(() => ema.BindTwin(twin));
        using (var otherModel = new LinearBatchNorm())
        using (var otherEma = new ModelEma(otherModel, new ConstantEmaParams(0.5)))
        {
            InvalidOperationException twice = Assert.Throws<InvalidOperationException>(() => otherEma.BindTwin(twin));
            Assert.Contains("already bound to a ModelEma", twice.Message);
        }

        twin.to(ScalarType.Float64);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => ema.Update(1, 10));
        Assert.Contains("no longer views the EMA", error.Message);
    }

    [Fact]
    public void A_twin_refused_because_a_left_out_tensor_cannot_be_viewed_in_the_EMA_dtype_is_left_as_it_was()
    {
        // Found by the property test: the refusal came after the twin had been moved to the EMA's dtype.
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { FloatingDtype = ScalarType.Float64, Exclude = EmaExclude.Names("bn.") });
        Dictionary<string, float[]> before = Snapshot(twin);
        Tensor weightBefore = twin.state_dict()["linear.weight"];

        ArgumentException error = Assert.Throws<ArgumentException>(() => ema.BindTwin(twin));

        Assert.Contains("'bn.weight'", error.Message);
        Assert.Contains("left out of the EMA", error.Message);
        Assert.All(twin.state_dict().Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
        Assert.Same(weightBefore, twin.state_dict()["linear.weight"]);
        AssertSame(before, Snapshot(twin));
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are the same memory: a write through one shows in the other.</summary>
    internal static bool SameMemory(Tensor a, Tensor b)
    {
        using var _ = no_grad();
        using Tensor saved = a.clone();
        using Tensor before = b.clone();
        a.add_(1);
        bool shared = !BitEqual(before, b);
        a.copy_(saved);
        return shared;
    }

    internal static bool BitEqual(Tensor a, Tensor b)
    {
        using Tensor same = a.eq(b);
        using Tensor all = same.all();
        return a.shape.SequenceEqual(b.shape) && all.item<bool>();
    }

    private sealed class LinearBatchNormOf : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> linear;
        private readonly nn.Module<Tensor, Tensor> bn;

        public LinearBatchNormOf(int inputs, int outputs)
            : base(nameof(LinearBatchNorm))
        {
            linear = nn.Linear(inputs, outputs);
            bn = nn.BatchNorm1d(outputs);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => bn.call(linear.call(input));
    }

    private sealed class LinearOnly : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> linear;

        public LinearOnly()
            : base(nameof(LinearOnly))
        {
            linear = nn.Linear(3, 4);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => linear.call(input);
    }
}
