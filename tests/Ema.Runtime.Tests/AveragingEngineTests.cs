using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// Update() and its counter, BEMA's correction as one concept of the engine (every reader sees the corrected weights,
/// resume restores them exactly), Switch EMA with a twin, and their misuse.
/// </summary>
public sealed class AveragingEngineTests
{
    private static readonly BemaEmaParams Bema = new(lag: 2, biasPower: 0.4);

    [Fact]
    public void Update_without_arguments_counts_from_the_last_step_seen_and_from_a_load()
    {
        using var model = nn.Linear(2, 2);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9), new ModelEmaOptions { UpdateEvery = 2 });

        ema.Update();
        ema.Update();
        ema.Update();

        // Step 3 was seen (and skipped by UpdateEvery = 2): the last step that did work is 2, the next is 4.
        Assert.Equal(2, ema.Step);
        Assert.Equal(4, ema.NextStep);

        ema.Update(10, 100);
        Assert.Equal(11, ema.NextStep);

        ema.Load(ema.EmaWeights, 40);
        ema.Update();
        Assert.Equal(42, ema.NextStep);
    }

    [Fact]
    public void Update_without_arguments_refuses_a_schedule_that_reads_the_total_unless_TotalSteps_is_set()
    {
        using var model = nn.Linear(2, 2);
        using var without = new ModelEma(model, new ExpEmaParams(0.99, beta: 2));

        var error = Assert.Throws<InvalidOperationException>(() => without.Update());

        Assert.Contains("ModelEmaOptions.TotalSteps", error.Message);
        Assert.Contains("'exp'", error.Message);
        Assert.Equal(0, without.Step);

        using var with = new ModelEma(model, new ExpEmaParams(0.99, beta: 2), new ModelEmaOptions { TotalSteps = 10 });
        with.Update();
        Assert.Equal(0.99 * (1 - Math.Exp(-0.2)), with.LastDecay, 15);
    }

    [Theory]
    [InlineData("swa")]
    [InlineData("half_life")]
    [InlineData("bema")]
    [InlineData("warmup")]
    public void Schedules_that_do_not_read_the_total_run_without_one(string decayType)
    {
        using var model = nn.Linear(2, 2);
        using var ema = new ModelEma(model, DecaySchedules.FromJson($$"""{"decay_type": "{{decayType}}"}"""));

        ema.Update();
        ema.Update();

        Assert.Equal(2, ema.Step);
    }

    [Fact]
    public void BEMA_hands_out_the_corrected_weights_to_every_reader()
    {
        using var model = nn.Linear(2, 2);
        using var twin = nn.Linear(2, 2);
        using var ema = new ModelEma(model, Bema);
        using TwinBinding binding = ema.BindTwin(twin);
        Step(model, ema, 1);
        Step(model, ema, 2);
        Dictionary<string, float[]> handed = Values(ema.EmaWeights);
        Dictionary<string, float[]> average = Values(ema.CorrectionState![CheckpointKeys.BemaAverage]);
        Assert.NotEqual(average["weight"], handed["weight"]);

        Assert.Equal(handed["weight"], ModuleValues.Get(twin.weight!));
        using (ema.UseEmaWeights())
        {
            Assert.Equal(handed["weight"], ModuleValues.Get(model.weight!));
        }

        ema.CopyToModel();
        Assert.Equal(handed["weight"], ModuleValues.Get(model.weight!));
    }

    [Fact]
    public void BEMA_corrects_parameters_and_hands_out_buffers_as_their_average()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, Bema);
        for (int step = 1; step <= 3; step++)
        {
            using (no_grad())
            {
                foreach ((string _, Tensor tensor) in model.state_dict().Where(p => p.Value.is_floating_point()))
                {
                    tensor.mul_(0.5);
                }
            }

            ema.Update();
        }

        Dictionary<string, float[]> average = Values(ema.CorrectionState![CheckpointKeys.BemaAverage]);
        Assert.Equal(average["bn.running_var"], ModuleValues.Get(ema.EmaWeights["bn.running_var"]));
        Assert.NotEqual(average["linear.weight"], ModuleValues.Get(ema.EmaWeights["linear.weight"]));
    }

    [Fact]
    public void BEMA_costs_two_more_copies_of_the_averaged_state()
    {
        using var model = nn.Linear(2, 2);
        using var plain = new ModelEma(model, new ConstantEmaParams(0.9));
        using var bema = new ModelEma(model, Bema);

        Assert.Equal(3 * plain.SizeInBytes, bema.SizeInBytes);
    }

    [Theory]
    [InlineData("latest.safetensors")]
    [InlineData("latest.pth")]
    public void A_resumed_BEMA_continues_bit_for_bit(string fileName)
    {
        using var dir = new TempDir();
        string path = dir.File(fileName);
        manual_seed(1);
        using var model = nn.Linear(2, 2);
        using var ema = new ModelEma(model, Bema);
        for (int step = 1; step <= 3; step++)
        {
            Step(model, ema, step);
        }

        Checkpoint.Save(path, model, ema);
        using var resumedModel = nn.Linear(2, 2);
        using var resumed = new ModelEma(resumedModel, Bema);
        Checkpoint.Resume(path, resumedModel, resumed, optimizer: null);

        Assert.Equal(4, resumed.NextStep);
        for (int step = 4; step <= 6; step++)
        {
            Step(model, ema, step);
            Step(resumedModel, resumed, step);
        }

        Assert.Equal(Values(ema.EmaWeights), Values(resumed.EmaWeights));
        Assert.Equal(Values(ema.CorrectionState![CheckpointKeys.BemaAnchor]), Values(resumed.CorrectionState![CheckpointKeys.BemaAnchor]));
    }

    [Theory]
    [InlineData("bema.safetensors")]
    [InlineData("bema.pth")]
    public void Inference_loads_the_corrected_weights_of_a_BEMA_checkpoint(string fileName)
    {
        using var dir = new TempDir();
        string path = dir.File(fileName);
        using var model = nn.Linear(2, 2);
        using var ema = new ModelEma(model, Bema);
        Step(model, ema, 1);
        Step(model, ema, 2);
        Checkpoint.Save(path, model, ema);
        using var inference = nn.Linear(2, 2);

        string source = Checkpoint.LoadForInference(inference, path);

        Assert.Equal("ema_net", source);
        Assert.Equal(ModuleValues.Get(ema.EmaWeights["weight"]), ModuleValues.Get(inference.weight!));
    }

    [Fact]
    public void A_BEMA_resumed_from_a_checkpoint_without_its_anchor_is_an_error_naming_the_key()
    {
        using var dir = new TempDir();
        string path = dir.File("old.safetensors");
        using var model = nn.Linear(2, 2);
        using (var old = new ModelEma(model, new ConstantEmaParams(0.9)))
        {
            Step(model, old, 1);
            Step(model, old, 2);
            Checkpoint.Save(path, model, old);
        }

        using var ema = new ModelEma(model, Bema);
        float[] before = ModuleValues.Get(ema.EmaWeights["weight"]);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Resume(path, model, ema, optimizer: null));

        Assert.Contains("ema_bema_average", error.Message);
        Assert.Equal(before, ModuleValues.Get(ema.EmaWeights["weight"]));
    }

    [Fact]
    public void A_BEMA_resumed_before_its_anchor_step_needs_no_anchor()
    {
        using var dir = new TempDir();
        string path = dir.File("early.safetensors");
        using var model = nn.Linear(2, 2);
        var bema = new BemaEmaParams(updateAfter: 5);
        using (var old = new ModelEma(model, new ConstantEmaParams(0.9)))
        {
            Step(model, old, 1);
            Checkpoint.Save(path, model, old);
        }

        using var ema = new ModelEma(model, bema);
        Checkpoint.Resume(path, model, ema, optimizer: null);

        // At steps up to update_after the average and the anchor follow the model: they are the loaded weights.
        Assert.Equal(Values(ema.EmaWeights), Values(ema.CorrectionState![CheckpointKeys.BemaAnchor]));
    }

    [Fact]
    public void Loading_only_the_handed_out_weights_of_a_BEMA_after_its_anchor_step_is_an_error()
    {
        using var model = nn.Linear(2, 2);
        using var ema = new ModelEma(model, Bema);

        var error = Assert.Throws<InvalidOperationException>(() => ema.Load(ema.EmaWeights, 3));

        Assert.Contains("ema_bema_anchor", error.Message);
        Assert.Equal(0, ema.Step);
    }

    [Fact]
    public void A_switch_with_a_bound_twin_moves_the_model_and_the_twin_keeps_the_EMA()
    {
        using var model = nn.Linear(2, 2);
        using var twin = nn.Linear(2, 2);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { SwitchEvery = 2, SwitchBlend = 1.0 });
        using TwinBinding binding = ema.BindTwin(twin);

        Step(model, ema, 1);
        Assert.NotEqual(ModuleValues.Get(ema.EmaWeights["weight"]), ModuleValues.Get(model.weight!));
        Step(model, ema, 2);

        Assert.Equal(ModuleValues.Get(ema.EmaWeights["weight"]), ModuleValues.Get(model.weight!));
        Assert.Equal(ModuleValues.Get(ema.EmaWeights["weight"]), ModuleValues.Get(twin.weight!));
    }

    [Theory]
    [InlineData(nameof(ModelEmaOptions.SwitchBlend), 0.0)]
    [InlineData(nameof(ModelEmaOptions.SwitchBlend), 1.5)]
    [InlineData(nameof(ModelEmaOptions.BatchScale), 0.0)]
    [InlineData(nameof(ModelEmaOptions.SwitchEvery), -1.0)]
    [InlineData(nameof(ModelEmaOptions.TotalSteps), 0.0)]
    public void Options_out_of_range_name_themselves(string option, double value)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => option switch
        {
            nameof(ModelEmaOptions.SwitchBlend) => new ModelEmaOptions { SwitchBlend = value },
            nameof(ModelEmaOptions.BatchScale) => new ModelEmaOptions { BatchScale = value },
            nameof(ModelEmaOptions.SwitchEvery) => new ModelEmaOptions { SwitchEvery = (long)value },
            _ => new ModelEmaOptions { TotalSteps = (long)value },
        });

        Assert.Contains("ModelEmaOptions." + option, error.Message);
    }

    /// <summary>The model moves as an optimizer step would, then the EMA updates with the counter.</summary>
    private static void Step(TorchSharp.Modules.Linear model, ModelEma ema, int step)
    {
        using (no_grad())
        {
            model.weight!.add_(full(model.weight.shape, 0.1 * step * (step % 2 == 0 ? -1 : 1)));
            model.bias!.add_(full(model.bias!.shape, 0.05 * step));
        }

        ema.Update();
    }

    private static Dictionary<string, float[]> Values(IReadOnlyDictionary<string, Tensor> tensors) =>
        tensors.Where(p => p.Value.is_floating_point()).ToDictionary(p => p.Key, p => ModuleValues.Get(p.Value));
}
