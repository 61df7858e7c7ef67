using System.Globalization;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>Post-hoc EMA: snapshots, EDM2's Algorithm 3 against the reference script, synthesis against directly tracked EMAs, bad requests.</summary>
public sealed class PostHocEmaTests
{
    [Fact]
    public void Algorithm_3_weights_match_the_reference_script()
    {
        using JsonDocument document = ReferenceData.Load("post_hoc_ema.json");
        int checkedCases = 0;
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            var snapshots = c.GetProperty("snapshots").EnumerateArray()
                .Select(s => (s.GetProperty("step").GetInt64(), s.GetProperty("sigma_rel").GetDouble())).ToArray();
            double[] expected = c.GetProperty("weights").EnumerateArray().Select(w => w.GetDouble()).ToArray();

            double[] weights = PostHocWeights.Solve(snapshots, c.GetProperty("sigma_rel").GetDouble(), c.GetProperty("at_step").GetInt64());

            Assert.Equal(expected.Length, weights.Length);
            for (int i = 0; i < weights.Length; i++)
            {
                // numpy's lstsq (SVD) and this Cholesky solve differ by rounding times the Gram matrix's condition (<= 1.5e4).
                Assert.True(Math.Abs(weights[i] - expected[i]) <= 1e-9, $"case {checkedCases} weight {i}: {weights[i]:R} vs numpy {expected[i]:R}");
            }

            checkedCases++;
        }

        Assert.Equal(18, checkedCases);
    }

    [Fact]
    public void Snapshots_are_safetensors_with_sigma_rel_and_step_in_their_metadata()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = new LinearBatchNorm();
        using (var postHoc = new PostHocEma(model, new PostHocEmaOptions { SnapshotDirectory = dir.Path, SnapshotEvery = 3 }))
        {
            Drive(model, postHoc, 7, seed: 1);
            string[] files = Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
            Assert.Equal(4, files.Length); // steps 3 and 6, two profiles

            string path = Path.Combine(dir.Path, PostHocSnapshot.FileName(0.10, 6));
            using var content = (SafetensorsContent)CheckpointContent.Open(path);
            Assert.Equal("0.1", content.Metadata["sigma_rel"]);
            Assert.Equal("6", content.Metadata["step"]);
            Assert.Equal(model.state_dict().Keys.Order(), content.Tensors.Keys.Order());
            Assert.Equal(ScalarType.Int64, content.Tensors["bn.num_batches_tracked"].Type);
            Assert.Equal(ScalarType.Float32, content.Tensors["linear.weight"].Type);
        }

        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Synthesizing_a_tracked_profile_at_a_snapshot_step_reproduces_that_snapshot()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = Float64Model();
        Record(model, dir.Path, every: 10, steps: 60, seed: 2);

        foreach ((double sigmaRel, long step) in new[] { (0.10, 60L), (0.05, 40L) })
        {
            PostHocEma.Synthesize(dir.Path, sigmaRel, model, atStep: step);

            using SafetensorsContent snapshot = (SafetensorsContent)CheckpointContent.Open(Path.Combine(dir.Path, PostHocSnapshot.FileName(sigmaRel, step)));
            using Tensor expected = TrainingSupport.Read(snapshot, snapshot.Tensors["weight"]);
            double error = MaxAbs(model.state_dict()["weight"], expected);
            Assert.True(error <= 1e-9, $"sigma_rel {sigmaRel} at {step}: {error}");
        }
    }

    [Fact]
    public void BFloat16_snapshots_cost_bf16_precision_and_no_more()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = Float64Model();
        Tensor tracked;
        using (var postHoc = new PostHocEma(model, Options(dir.Path, 10) with { SnapshotDtype = ScalarType.BFloat16 }))
        {
            Drive(model, postHoc, 40, seed: 6);
            tracked = postHoc.Emas[1].EmaWeights["weight"].clone();
        }

        using SafetensorsContent snapshot = (SafetensorsContent)CheckpointContent.Open(Path.Combine(dir.Path, PostHocSnapshot.FileName(0.10, 40)));
        Assert.Equal(ScalarType.BFloat16, snapshot.Tensors["weight"].Type);
        PostHocEma.Synthesize(dir.Path, 0.10, model);

        // bf16 keeps 8 significant bits: each weight is within 2^-8 of its size (round to nearest: 2^-9, plus the solve's sum).
        using Tensor bound = tracked.abs() * Math.Pow(2, -8);
        using Tensor error = (model.state_dict()["weight"] - tracked).abs();
        Assert.True(error.le(bound).all().item<bool>(), $"max error {error.max().item<double>()}");
        Assert.True(error.max().item<double>() > 0, "bf16 rounding must show, or the snapshot was not stored in bf16");
        tracked.Dispose();
    }

    [Theory]
    [InlineData(0.07)]
    [InlineData(0.085)]
    public void An_intermediate_sigma_rel_matches_an_EMA_that_tracked_it_to_a_small_fraction_of_the_profiles_distance(double sigmaRel)
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = Float64Model();
        Dictionary<string, Tensor> direct, low, high;
        using (var tracked = new ModelEma(model, new PowerEmaParams(sigmaRel: sigmaRel)))
        using (var postHoc = new PostHocEma(model, Options(dir.Path, 25)))
        {
            Drive(model, postHoc, 1000, seed: 3, tracked);
            direct = Copy(tracked.EmaWeights);
            low = Copy(postHoc.Emas[0].EmaWeights);
            high = Copy(postHoc.Emas[1].EmaWeights);
        }

        PostHocEma.Synthesize(dir.Path, sigmaRel, model);

        double error = MaxAbs(model.state_dict()["weight"], direct["weight"]);
        double distance = MaxAbs(low["weight"], high["weight"]);
        Assert.True(distance > 1e-3, $"the two profiles must differ for the bound to mean anything ({distance})");
        // Measured: 1.1e-5 (0.07) and 6.3e-6 (0.085) of the distance, with 40 snapshots per profile over 1000 steps.
        // What is left is the discrete EMA's early steps, where (1 - 1/t)^(gamma + 1) differs from the continuous
        // profile the inner products assume; their weight at step 1000 is tiny. The bound keeps a 50x margin.
        Assert.True(error <= 1e-3 * distance, $"synthesized vs tracked {error:E3}, profiles apart {distance:E3}, ratio {error / distance:F4}");
        foreach (Tensor t in direct.Values.Concat(low.Values).Concat(high.Values))
        {
            t.Dispose();
        }
    }

    [Fact]
    public void Bad_requests_are_errors_that_say_what_is_wrong()
    {
        using var dir = new TrainingSupport.TempDir();
        using var model = Float64Model();
        Record(model, dir.Path, every: 5, steps: 20, seed: 4);

        Assert.Contains("sigma_rel = 0.3 is outside the allowed range",
            Assert.Throws<ArgumentOutOfRangeException>(() => PostHocEma.Synthesize(dir.Path, 0.3, model)).Message, StringComparison.Ordinal);
        Assert.Contains("past the last snapshot",
            Assert.Throws<ArgumentOutOfRangeException>(() => PostHocEma.Synthesize(dir.Path, 0.07, model, atStep: 21)).Message, StringComparison.Ordinal);
        Assert.Contains("first is at step 5",
            Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(dir.Path, 0.07, model, atStep: 4)).Message, StringComparison.Ordinal);
        using var other = nn.Linear(4, 3).to(ScalarType.Float64);
        Assert.Contains("is of another model",
            Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(dir.Path, 0.07, other)).Message, StringComparison.Ordinal);

        using var empty = new TrainingSupport.TempDir();
        Assert.Contains("holds no post-hoc EMA snapshot",
            Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(empty.Path, 0.07, model)).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist",
            Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(Path.Combine(empty.Path, "missing"), 0.07, model)).Message, StringComparison.Ordinal);

        foreach (string path in Directory.GetFiles(dir.Path, "*sigma_rel-0.1-*"))
        {
            File.Delete(path);
        }

        Assert.Contains("one profile only",
            Assert.Throws<ArgumentException>(() => PostHocEma.Synthesize(dir.Path, 0.07, model)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_errors()
    {
        Assert.Contains("at least two different values", Assert.Throws<ArgumentException>(() => new PostHocEmaOptions { SnapshotDirectory = "x", SigmaRels = [0.05] }).Message, StringComparison.Ordinal);
        Assert.Contains("at least two different values", Assert.Throws<ArgumentException>(() => new PostHocEmaOptions { SnapshotDirectory = "x", SigmaRels = [0.05, 0.05] }).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostHocEmaOptions { SnapshotDirectory = "x", SigmaRels = [0.05, 0.5] });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostHocEmaOptions { SnapshotDirectory = "x", SnapshotEvery = 0 });
        Assert.Contains("SnapshotDirectory = ' ' is empty", Assert.Throws<ArgumentException>(() => new PostHocEmaOptions { SnapshotDirectory = " " }).Message, StringComparison.Ordinal);
    }

    /// <summary>Snapshots into <paramref name="dir"/> every <paramref name="every"/> steps, in float64 (the solve is then the only rounding).</summary>
    internal static PostHocEmaOptions Options(string dir, long every) => new()
    {
        SnapshotDirectory = dir,
        SnapshotEvery = every,
        SnapshotDtype = ScalarType.Float64,
    };

    /// <summary>A float64 nn.Linear(6, 4) without bias, seeded.</summary>
    internal static nn.Module<Tensor, Tensor> Float64Model()
    {
        manual_seed(17);
        return nn.Linear(6, 4, hasBias: false).to(ScalarType.Float64);
    }

    /// <summary>Trains with a post-hoc EMA that snapshots into <paramref name="dir"/>, then frees it.</summary>
    private static void Record(nn.Module model, string dir, long every, long steps, int seed)
    {
        using var postHoc = new PostHocEma(model, Options(dir, every));
        Drive(model, postHoc, steps, seed);
    }

    /// <summary>A trajectory with a drift, a slow oscillation and noise, so that EMAs of different lengths differ.</summary>
    private static void Drive(nn.Module model, PostHocEma postHoc, long steps, int seed, ModelEma? alsoTracked = null)
    {
        using var random = new Generator((ulong)seed);
        Tensor weight = model.state_dict().First(p => p.Value.is_floating_point()).Value;
        using Tensor direction = randn(weight.shape, dtype: weight.dtype, generator: random);
        for (long step = 1; step <= steps; step++)
        {
            using (no_grad())
            using (Tensor noise = randn(weight.shape, dtype: weight.dtype, generator: random))
            {
                double phase = 6.0 * step / steps;
                weight.add_(direction, alpha: 0.01 * Math.Cos(phase)).add_(noise, alpha: 0.02);
            }

            alsoTracked?.Update(step, steps);
            postHoc.Update(step, steps);
        }
    }

    private static Dictionary<string, Tensor> Copy(IReadOnlyDictionary<string, Tensor> weights) =>
        weights.ToDictionary(p => p.Key, p => p.Value.clone());

    private static double MaxAbs(Tensor a, Tensor b)
    {
        using Tensor difference = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return difference.item<double>();
    }
}
