using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// Post-hoc synthesis refuses what it cannot make exactly (a step between snapshots, a profile the snapshots cannot
/// fit) and never mixes two runs' snapshots; a resumed run continues its own run.
/// </summary>
public sealed class PostHocTrustTests
{
    private const long Every = 5;
    private const long Steps = 20;

    [Fact]
    public void A_step_between_two_snapshot_steps_is_refused_naming_the_nearest_ones_and_the_model_is_unchanged()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        Run(model, Options(dir.Path), 1, Steps);
        using Tensor before = Weight(model).clone();

        var error = Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(dir.Path, 0.07, model, atStep: 12));

        Assert.Contains("atStep = 12 falls between the snapshots at steps 10 and 15", error.Message, StringComparison.Ordinal);
        Assert.True(Weight(model).allclose(before, rtol: 0, atol: 0));
        PostHocEma.Synthesize(dir.Path, 0.07, model, atStep: 10); // a snapshot step works
    }

    [Theory]
    [InlineData(0.02)]
    [InlineData(0.25)]
    public void A_sigma_rel_the_snapshots_cannot_fit_is_refused_with_the_fit_error_and_the_tracked_profiles(double sigmaRel)
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        Run(model, Options(dir.Path), 1, Steps);
        using Tensor before = Weight(model).clone();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PostHocEma.Synthesize(dir.Path, sigmaRel, model));

        Assert.Contains($"sigma_rel = {sigmaRel} at step 20 cannot be synthesized", error.Message, StringComparison.Ordinal);
        Assert.Contains("(sigma_rel 0.05, 0.1 at 4 steps)", error.Message, StringComparison.Ordinal);
        Assert.Contains("at most 5% is allowed", error.Message, StringComparison.Ordinal);
        Assert.True(Weight(model).allclose(before, rtol: 0, atol: 0));
        PostHocEma.Synthesize(dir.Path, 0.07, model); // near the tracked pair: within the bound
    }

    [Fact]
    public void A_new_run_refuses_a_directory_holding_another_runs_snapshots_and_says_what_to_do()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        Run(model, Options(dir.Path), 1, Steps);

        var error = Assert.Throws<ArgumentException>(() => new PostHocEma(model, Options(dir.Path)));

        Assert.Contains("already holds post-hoc snapshots", error.Message, StringComparison.Ordinal);
        Assert.Contains("8 snapshots, steps 5 to 20", error.Message, StringComparison.Ordinal);
        Assert.Contains("ContinueRun = true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_snapshot_carries_its_runs_id_and_synthesis_refuses_a_directory_of_two_runs()
    {
        using var first = new TrainingSupport.TempDir();
        using var second = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        string firstId = Run(model, Options(first.Path), 1, Steps);
        string secondId = Run(model, Options(second.Path) with { SnapshotEvery = 4 }, 1, 16);
        Assert.NotEqual(firstId, secondId);
        foreach (string path in Directory.GetFiles(first.Path))
        {
            Assert.Equal(firstId, SafetensorsReader.ReadEach(path, null)["run_id"]);
        }

        foreach (string path in Directory.GetFiles(second.Path))
        {
            File.Copy(path, Path.Combine(first.Path, Path.GetFileName(path)));
        }

        var error = Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(first.Path, 0.07, model));

        Assert.Contains("holds the snapshots of several runs", error.Message, StringComparison.Ordinal);
        Assert.Contains(firstId, error.Message, StringComparison.Ordinal);
        Assert.Contains(secondId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resumed_run_continues_its_own_run_and_its_snapshots_equal_an_uninterrupted_runs()
    {
        using var straight = new TrainingSupport.TempDir();
        using var resumed = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        Run(model, Options(straight.Path), 1, Steps);

        // The interrupted run got to step 17 (its snapshot at 15 is from after the checkpoint at step 10).
        string id = Run(model, Options(resumed.Path), 1, 17);
        string continued = Run(model, Options(resumed.Path) with { ContinueRun = true }, 11, Steps);

        Assert.Equal(id, continued);
        string[] names = Directory.GetFiles(straight.Path).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal(names, Directory.GetFiles(resumed.Path).Select(Path.GetFileName).Order().ToArray());
        foreach (string name in names)
        {
            var expected = Read(Path.Combine(straight.Path, name));
            var actual = Read(Path.Combine(resumed.Path, name));
            Assert.True(expected["weight"].allclose(actual["weight"], rtol: 0, atol: 0), name);
            Assert.Equal(id, SafetensorsReader.ReadEach(Path.Combine(resumed.Path, name), null)["run_id"]);
        }
    }

    [Fact]
    public void Continuing_at_a_step_without_snapshots_to_restore_from_is_refused()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        Run(model, Options(dir.Path), 1, Steps);

        var error = Assert.Throws<InvalidOperationException>(() => Run(model, Options(dir.Path) with { ContinueRun = true }, 13, Steps));

        Assert.Contains("has no snapshot of sigma_rel 0.05 at step 12", error.Message, StringComparison.Ordinal);
        Assert.Contains("snapshot steps: 5, 10, 15, 20", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Continuing_with_other_profiles_or_another_model_is_refused()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = PostHocEmaTests.Float64Model();
        Run(model, Options(dir.Path), 1, Steps);

        Assert.Contains("a run keeps its profiles", Assert.Throws<ArgumentException>(
            () => new PostHocEma(model, Options(dir.Path) with { ContinueRun = true, SigmaRels = [0.05, 0.12] })).Message, StringComparison.Ordinal);
        using var other = nn.Linear(6, 5, hasBias: false).to(ScalarType.Float64);
        Assert.Contains("is of another model", Assert.Throws<ArgumentException>(
            () => new PostHocEma(other, Options(dir.Path) with { ContinueRun = true })).Message, StringComparison.Ordinal);
    }

    private static PostHocEmaOptions Options(string dir) => PostHocEmaTests.Options(dir, Every);

    private static Tensor Weight(nn.Module model) => model.state_dict()["weight"];

    /// <summary>Drives a post-hoc EMA over steps <paramref name="from"/>..<paramref name="to"/>; the weights at each step are a function of the step alone, so a resumed run sees what an uninterrupted one saw.</summary>
    private static string Run(nn.Module model, PostHocEmaOptions options, long from, long to)
    {
        using var postHoc = new PostHocEma(model, options);
        using var ramp = arange(24, dtype: ScalarType.Float64).reshape(4, 6);
        for (long step = from; step <= to; step++)
        {
            using (no_grad())
            using (Tensor value = (ramp * (0.1 * step)).sin() + (0.05 * step))
            {
                Weight(model).copy_(value);
            }

            postHoc.Update(step, Steps);
        }

        return postHoc.RunId;
    }

    private static Dictionary<string, Tensor> Read(string path)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        SafetensorsReader.ReadEach(path, (name, tensor) => tensors[name] = tensor.clone());
        return tensors;
    }
}
