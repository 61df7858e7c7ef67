using TorchSharp;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// The step rule (StepRule, one place for every update path): step &gt;= 1, greater than the previous one (or the step
/// restored), and at most totalSteps where the schedule reads the total. A step that breaks it changes nothing.
/// </summary>
public sealed class StepRuleTests
{
    [Fact]
    public void Step_zero_is_refused_and_the_EMA_is_unchanged()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams());
        Dictionary<string, float[]> before = Snapshot(ema.EmaWeights);
        Nudge(model);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(0, 100));

        Assert.Equal("step", error.ParamName);
        Assert.Contains("step = 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("from 1", error.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(ema.EmaWeights)); // exp gives decay 0 at step 0: the EMA would have jumped to the model
        Assert.Equal(0, ema.Step);
        Assert.True(double.IsNaN(ema.LastDecay));
    }

    [Theory]
    [InlineData(3)] // the batch index inside the second epoch, passed by mistake
    [InlineData(5)] // the same step twice
    public void A_step_that_does_not_increase_is_refused_and_the_EMA_is_unchanged(long next)
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        for (long step = 1; step <= 5; step++)
        {
            ema.Update(step, 100);
        }

        Dictionary<string, float[]> before = Snapshot(ema.EmaWeights);
        Nudge(model);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(next, 100));

        Assert.Contains($"step = {next} does not come after the previous step 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("not the batch index inside the epoch", error.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(ema.EmaWeights));
        Assert.Equal(5, ema.Step);
        ema.Update(6, 100); // the right step goes on
        Assert.Equal(6, ema.Step);
    }

    [Fact]
    public void Steps_skipped_by_UpdateEvery_still_count_so_a_repeated_one_is_refused()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { UpdateEvery = 4 });
        ema.Update(1, 100);
        ema.Update(2, 100);

        Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(2, 100));
        Assert.Equal(0, ema.Step); // no update did work yet
    }

    [Theory]
    [InlineData("cosine")]
    [InlineData("exp")]
    public void A_step_past_the_total_is_refused_where_the_schedule_reads_the_total(string decayType)
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, DecaySchedules.FromJson($"{{\"decay_type\": \"{decayType}\", \"decay\": 0.9}}"));
        ema.Update(10, 10);
        Dictionary<string, float[]> before = Snapshot(ema.EmaWeights);
        Nudge(model);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(11, 10));

        Assert.Contains("step = 11 is past totalSteps = 10", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{decayType}' schedule reads the total", error.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(ema.EmaWeights));
    }

    [Fact]
    public void A_schedule_that_does_not_read_the_total_accepts_steps_past_it()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ThresholdEmaParams(0.9));

        ema.Update(11, 10);

        Assert.Equal(11, ema.Step);
    }

    [Fact]
    public void A_total_below_one_is_refused()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));

        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => ema.Update(1, 0)).ParamName);
    }

    [Fact]
    public void After_a_load_or_a_resume_from_step_s_the_next_update_must_be_after_s()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        for (long step = 1; step <= 7; step++)
        {
            ema.Update(step, 100);
        }

        string path = dir.File("ckpt.safetensors");
        Checkpoint.Save(path, model, ema);

        using var resumedModel = new LinearBatchNorm();
        using var resumed = new ModelEma(resumedModel, new ConstantEmaParams(0.5));
        Checkpoint.Resume(path, resumedModel, resumed, optimizer: null);
        Assert.Contains("previous step 7", Assert.Throws<ArgumentOutOfRangeException>(() => resumed.Update(1, 100)).Message, StringComparison.Ordinal);
        resumed.Update(8, 100);

        using var loadedModel = new LinearBatchNorm();
        using var loaded = new ModelEma(loadedModel, new ConstantEmaParams(0.5));
        loaded.Load(ema.EmaWeights, 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => loaded.Update(7, 100));
        loaded.Update(8, 100);
        Assert.Equal(8, loaded.Step);
    }

    [Fact]
    public void PostHocEma_Update_follows_the_same_rule_and_a_bad_step_updates_no_profile()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        using var postHoc = new PostHocEma(model, new PostHocEmaOptions { SnapshotDirectory = dir.Path, SnapshotEvery = 100 });

        Assert.Contains("PostHocEma.Update: step = 0", Assert.Throws<ArgumentOutOfRangeException>(() => postHoc.Update(0, 10)).Message, StringComparison.Ordinal);
        postHoc.Update(1, 10);
        postHoc.Update(2, 10);
        Nudge(model);
        Dictionary<string, float[]>[] before = postHoc.Emas.Select(e => Snapshot(e.EmaWeights)).ToArray();

        Assert.Contains("does not come after the previous step 2", Assert.Throws<ArgumentOutOfRangeException>(() => postHoc.Update(1, 10)).Message, StringComparison.Ordinal);

        for (int i = 0; i < before.Length; i++)
        {
            AssertSame(before[i], Snapshot(postHoc.Emas[i].EmaWeights));
            Assert.Equal(2, postHoc.Emas[i].Step);
        }
    }

    /// <summary>Moves every floating weight, so that an update that should not happen would show.</summary>
    private static void Nudge(nn.Module model)
    {
        using var _ = no_grad();
        foreach (Tensor tensor in model.state_dict().Values.Where(t => t.is_floating_point()))
        {
            tensor.add_(1.0);
        }
    }
}
