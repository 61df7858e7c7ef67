using Ema.Samples.Training.FashionMnist;

namespace Ema.Samples.Tests;

/// <summary>
/// The Fashion-MNIST benchmark's report when PostHocEma.Synthesize refuses a sigma_rel (the snapshots' fit is more than
/// 5% off, recorded as NaN): the sweep says so instead of a number, and the best post-hoc EMA is chosen among the rest.
/// </summary>
public sealed class BenchmarkReportTests
{
    [Fact]
    public void A_refused_sigma_rel_is_reported_as_not_synthesized_and_never_chosen_as_best()
    {
        var seeds = new List<SeedResult>
        {
            Seed(1, [(0.02, double.NaN), (0.05, 0.80), (0.10, 0.82)]),
            Seed(2, [(0.02, double.NaN), (0.05, 0.84), (0.10, 0.83)]),
        };

        string markdown = new BenchmarkReport(seeds, [], "not run in this test", null, TimeSpan.FromMinutes(1), "a test").Markdown();

        Assert.Contains("0.02: not synthesized (the snapshots' fit is more than 5% off)", markdown, StringComparison.Ordinal);
        Assert.Contains("0.05: 82.00 (80.00-84.00)", markdown, StringComparison.Ordinal);
        Assert.Contains("| post-hoc, best sigma_rel per seed (0.1, 0.05) |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 83.00 (82.00-84.00) |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sigma_rel_refused_for_some_seeds_averages_the_others_and_says_how_many()
    {
        var seeds = new List<SeedResult>
        {
            Seed(1, [(0.02, double.NaN), (0.05, 0.80)]),
            Seed(2, [(0.02, 0.70), (0.05, 0.84)]),
        };

        string markdown = new BenchmarkReport(seeds, [], "not run in this test", null, TimeSpan.FromMinutes(1), "a test").Markdown();

        Assert.Contains("0.02: 70.00 (70.00-70.00) in 1 of 2 seeds (the others' fit is more than 5% off)", markdown, StringComparison.Ordinal);
    }

    private static SeedResult Seed(int seed, List<(double SigmaRel, double Accuracy)> postHoc)
    {
        string[] forms = ["raw", .. BenchmarkSeedRun.Schedules, "power 0.05", "power 0.10"];
        var accuracy = forms.ToDictionary(f => f, _ => new List<double> { 0.75 });
        var updates = BenchmarkSeedRun.Schedules.Append("post-hoc").ToDictionary(f => f, _ => 0.1);
        return new SeedResult(seed, accuracy, 10.0, updates, postHoc, 1024, 1024);
    }
}
