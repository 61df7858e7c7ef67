using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Ema.Runtime.Tests;

/// <summary>
/// A long run of a small model (tests/Ema.Soak) in a process of its own, so that what grows is the EMA's and not the
/// test runner's, sampled along the run and judged by <see cref="SoakVerdict"/>: the tensor count must not move and
/// memory must not keep growing. CI runs <see cref="DefaultUpdates"/> updates (a few seconds);
/// <c>EMA_SOAK_UPDATES=10000000</c> runs a longer soak.
/// </summary>
[Collection(nameof(TensorCountTests))] // alone, so that the child process's timing is not shared with other tests
public sealed class SoakTests(ITestOutputHelper output)
{
    public const int DefaultUpdates = 100_000;

    [Fact]
    public void A_hundred_thousand_updates_keep_the_tensor_count_and_do_not_grow_memory()
    {
        int updates = int.TryParse(Environment.GetEnvironmentVariable("EMA_SOAK_UPDATES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : DefaultUpdates;

        SoakSeries series = RunSoak(updates.ToString(CultureInfo.InvariantCulture));

        long Figure(string key) => long.Parse(series.Summary[key], CultureInfo.InvariantCulture);
        Assert.Equal(updates, Figure("updates"));
        Assert.Equal(0, Figure("skipped"));
        Assert.Equal("True", series.Summary["ema_finite"]);
        Assert.Equal(Figure("final_step"), series.Samples[^1].Update);
        Assert.True(series.Samples[^1].Update - series.Samples[0].Update >= updates, "the samples span the run");
        Assert.Empty(SoakVerdict.Failures(series.Samples));
    }

    [Fact]
    public void The_soak_fails_a_run_that_keeps_one_small_tensor_every_thousand_updates()
    {
        SoakSeries series = RunSoak(DefaultUpdates.ToString(CultureInfo.InvariantCulture), "--leak-every", "1000");

        IReadOnlyList<string> failures = SoakVerdict.Failures(series.Samples);

        // Both the tensor count and, on Linux, the native heap's growth rate catch it, each on its own.
        Assert.Contains(failures, f => f.StartsWith("live tensor count moved", StringComparison.Ordinal));
        if (series.Samples[0].NativeHeap >= 0)
        {
            Assert.Contains(failures, f => f.StartsWith("native heap in use grows", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_one_time_allocation_anywhere_in_the_run_passes_and_steady_growth_fails()
    {
        // Independent of any machine: series built from the rule itself. 9 samples 10,000 updates apart, 64 MB heap.
        static List<SoakSample> Series(Func<int, long> extraBytes) => Enumerable.Range(0, 9)
            .Select(i => new SoakSample(10_000L * i, 32, 70_000, 64_000_000 + extraBytes(i), 70_000_000 + extraBytes(i)))
            .ToList();

        for (int stepAt = 1; stepAt < 9; stepAt++)
        {
            int at = stepAt;
            Assert.Empty(SoakVerdict.Failures(Series(i => i >= at ? 6_000_000 : 0))); // +6 MB once, as measured on CI
        }

        // Half the native bound's rate, and twice it.
        double bound = SoakVerdict.NativeHeapBytesPerUpdate;
        Assert.Empty(SoakVerdict.Failures(Series(i => (long)(bound / 2 * 10_000 * i))));
        Assert.Contains(SoakVerdict.Failures(Series(i => (long)(bound * 2 * 10_000 * i))), f => f.StartsWith("native heap", StringComparison.Ordinal));
    }

    private SoakSeries RunSoak(params string[] arguments)
    {
        string program = Path.Combine(AppContext.BaseDirectory, "Ema.Soak.dll");
        // dotnet test sets DOTNET_HOST_PATH; other runners find the host on PATH.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(program);
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        Task<string> read = process.StandardOutput.ReadToEndAsync();
        // Not a speed bound: a hang detector, many times the few seconds a run takes.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within 10 minutes");
        }

        string stdout = read.Result;
        output.WriteLine(stdout.Trim());
        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {error.Result}");
        SoakSeries series = SoakSeries.Parse(stdout);
        output.WriteLine(string.Join(Environment.NewLine, SoakVerdict.Failures(series.Samples)));
        return series;
    }
}
