using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>ModelEmaOptions.Exclude: tensors left out of the EMA are not copied and stand for themselves.</summary>
public sealed class ExclusionTests
{
    private static readonly ModelEmaOptions Frozen = new() { Exclude = EmaExclude.FrozenParameters };

    [Fact]
    public void Frozen_parameters_are_not_copied_and_the_EMA_uses_the_model_s_own_tensor_for_them()
    {
        long allBytes;
        using (var reference = new LinearBatchNorm())
        using (var whole = new ModelEma(reference, new ConstantEmaParams(0.5)))
        {
            allBytes = whole.SizeInBytes;
        }

        using var model = new LinearBatchNorm();
        Tensor frozen = model.state_dict()["linear.weight"];
        ((TorchSharp.Modules.Parameter)frozen).requires_grad = false;
        Dictionary<string, float[]> frozenValues = Snapshot(model);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), Frozen);

        Assert.Equal(allBytes - (frozen.numel() * frozen.element_size()), ema.SizeInBytes);
        Assert.Same(frozen, ema.EmaWeights["linear.weight"]);

        ModelEmaTests.Train(model, optimizer, steps: 3, ema);
        Assert.True(frozenValues["linear.weight"].SequenceEqual(ModuleValues.Get(ema.EmaWeights["linear.weight"])));
        Assert.False(frozenValues["bn.weight"].SequenceEqual(ModuleValues.Get(ema.EmaWeights["bn.weight"]))); // still averaged
        Assert.False(ModuleValues.Get(model.state_dict()["bn.weight"]).SequenceEqual(ModuleValues.Get(ema.EmaWeights["bn.weight"])));

        using (ema.UseEmaWeights())
        {
            AssertSame(Snapshot(ema.EmaWeights), Snapshot(model));
        }
    }

    [Fact]
    public void A_checkpoint_holds_the_model_s_value_for_a_left_out_tensor_under_ema_net_so_inference_loads_a_whole_model()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        ((TorchSharp.Modules.Parameter)model.state_dict()["linear.weight"]).requires_grad = false;
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), Frozen);
        ModelEmaTests.Train(model, optimizer, steps: 3, ema);
        Dictionary<string, float[]> averaged = Snapshot(ema.EmaWeights);
        Checkpoint.Save(dir.File("frozen.safetensors"), model, ema);

        Dictionary<string, float[]> saved = ReadPrefix(dir.File("frozen.safetensors"), CheckpointKeys.EmaNetPrefix);
        Assert.True(ModuleValues.Get(model.state_dict()["linear.weight"]).SequenceEqual(saved["linear.weight"]));
        using var restored = new LinearBatchNorm();
        Assert.Equal("ema_net", Checkpoint.LoadForInference(restored, dir.File("frozen.safetensors")));
        AssertSame(averaged, Snapshot(restored));

        using var resumed = new LinearBatchNorm();
        ((TorchSharp.Modules.Parameter)resumed.state_dict()["linear.weight"]).requires_grad = false;
        using var resumedEma = new ModelEma(resumed, new ConstantEmaParams(0.5), Frozen);
        Checkpoint.Resume(dir.File("frozen.safetensors"), resumed, resumedEma, optimizer: null);
        AssertSame(averaged, Snapshot(resumedEma.EmaWeights));
        AssertSame(Snapshot(model), Snapshot(resumed));
    }

    [Fact]
    public void Load_neither_needs_nor_writes_a_left_out_tensor()
    {
        using var model = new LinearBatchNorm();
        ((TorchSharp.Modules.Parameter)model.state_dict()["linear.weight"]).requires_grad = false;
        Dictionary<string, float[]> before = Snapshot(model);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), Frozen);
        using Tensor other = full(new long[] { 4, 3 }, 7.0f);
        using Tensor bias = ones(4);
        var weights = ema.EmaWeights.Where(p => p.Key != "linear.bias").ToDictionary(p => p.Key, p => p.Value);
        weights["linear.weight"] = other;
        weights["linear.bias"] = bias;

        ema.Load(weights, 5);
        Assert.True(before["linear.weight"].SequenceEqual(ModuleValues.Get(model.state_dict()["linear.weight"]))); // the model's frozen weight is untouched
        Assert.Equal(Enumerable.Repeat(1f, 4), ModuleValues.Get(ema.EmaWeights["linear.bias"]));

        weights.Remove("linear.weight");
        ema.Load(weights, 6); // not needed either
        Assert.Equal(6, ema.Step);
    }

    [Fact]
    public void A_twin_views_the_model_s_own_tensor_for_a_left_out_one()
    {
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Exclude = EmaExclude.Names("bn.") });
        using TwinBinding binding = ema.BindTwin(twin);

        Assert.True(TwinTests.SameMemory(model.state_dict()["bn.weight"], twin.state_dict()["bn.weight"]));
        Assert.True(TwinTests.SameMemory(model.state_dict()["bn.running_mean"], twin.state_dict()["bn.running_mean"]));
        Assert.True(TwinTests.SameMemory(ema.EmaWeights["linear.weight"], twin.state_dict()["linear.weight"]));
        Assert.False(TwinTests.SameMemory(model.state_dict()["linear.weight"], twin.state_dict()["linear.weight"]));
    }

    [Fact]
    public void Names_leaves_out_exact_names_and_dotted_prefixes_only()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Exclude = EmaExclude.Names("bn.", "linear.bias") });
        Dictionary<string, Tensor> state = model.state_dict();

        string[] leftOut = state.Keys.Where(name => ReferenceEquals(state[name], ema.EmaWeights[name])).Order().ToArray();
        Assert.Equal(["bn.bias", "bn.num_batches_tracked", "bn.running_mean", "bn.running_var", "bn.weight", "linear.bias"], leftOut);
        Tensor weight = state["linear.weight"];
        Assert.Equal(weight.numel() * weight.element_size(), ema.SizeInBytes);

        ArgumentException error = Assert.Throws<ArgumentException>(() => EmaExclude.Names("linear.weight", ""));
        Assert.Contains("entry 1 is null or empty", error.Message);
    }

    [Fact]
    public void A_left_out_frozen_parameter_that_starts_to_train_is_reported_once_at_the_next_update()
    {
        var warnings = new List<string>();
        using var model = new LinearBatchNorm();
        var weight = (TorchSharp.Modules.Parameter)model.state_dict()["linear.weight"];
        weight.requires_grad = false;
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), Frozen with { Logger = new ListLogger(warnings) });
        ema.Update(1, 10);
        Assert.Empty(warnings);

        weight.requires_grad = true;
        ema.Update(2, 10);
        ema.Update(3, 10);

        string warning = Assert.Single(warnings);
        Assert.Contains("'linear.weight' was left out of the EMA because it was frozen, and at step 2 it requires grad", warning);
    }

    [Fact]
    public void Leaving_out_every_floating_tensor_is_refused_and_says_why()
    {
        using var model = new LinearBatchNorm();
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Exclude = EmaExclude.Names("linear.", "bn.") }));
        Assert.Contains("ModelEmaOptions.Exclude", error.Message);
    }
}
