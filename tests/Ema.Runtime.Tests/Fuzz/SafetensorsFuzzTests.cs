using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests.Fuzz;

/// <summary>A seeded, deterministic mutation of a valid checkpoint.</summary>
internal interface ICheckpointMutator
{
    (byte[] Bytes, string Description) Mutate(int seed, int index);
}

/// <summary>
/// Fuzzes the checkpoint readers (safetensors and .pth) with seeded mutations of a valid checkpoint. Every case must end in a valid load or
/// a <see cref="CheckpointException"/> (the only documented failure), within bounded time and memory, and a failed
/// load must leave the model, the EMA and the optimizer exactly as they were.
/// CI runs <see cref="DefaultCases"/> cases; <c>EMA_FUZZ_CASES=200000 EMA_FUZZ_SEED=9 dotnet test ... --filter Fuzz</c> runs more.
/// </summary>
/// <remarks>In the TensorCount collection: the leak check reads the process-wide tensor count, and the model is seeded.</remarks>
[Collection(nameof(TensorCountTests))]
public sealed class SafetensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>About 5 s on the project's 2-core machine; the brief's budget for CI is 30 s.</summary>
    public const int DefaultCases = 3000;

    /// <summary>A file here is a few KB; a reader that trusts a length would allocate megabytes or more.</summary>
    private const long MaxManagedBytesPerCase = 16 << 20;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pth")]
    public async Task Mutated_checkpoints_load_or_fail_with_a_CheckpointException_and_never_leave_a_partial_load(string extension)
    {
        int cases = EnvInt("EMA_FUZZ_CASES", DefaultCases);
        int seed = EnvInt("EMA_FUZZ_SEED", 8);
        string good = _dir.File("good" + extension);
        manual_seed(80);
        using (var source = new LinearBatchNorm())
        using (var sourceEma = new ModelEma(source, new ConstantEmaParams(0.5)))
        using (var sourceOptimizer = optim.SGD(source.parameters(), 0.1, momentum: 0.9))
        {
            ModelEmaTests.Train(source, sourceOptimizer, steps: 2, sourceEma);
            Checkpoint.Save(good, source, sourceEma, sourceOptimizer, epoch: 1, globalStep: 2);
        }

        manual_seed(81);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        Checkpoint.Resume(good, model, ema, optimizer); // warm-up: the momentum buffers exist from here on
        long tensorsBefore = SettledTensorCount();

        ICheckpointMutator mutator = extension == ".pth" ? new PthMutator(good) : new SafetensorsMutator(File.ReadAllBytes(good));
        var stats = new FuzzStats();
        var run = Task.Run(() => RunCases(mutator, extension, seed, cases, model, ema, optimizer, stats));
        // A hang fails the test instead of stalling CI (the stuck case is named below).
        bool finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(Math.Max(120, cases / 50.0)))) == run;
        if (finished)
        {
            await run;
        }

        output.WriteLine(stats.Report(seed, cases));
        Assert.True(finished, $"the fuzz run did not finish: a case hangs (last started: {stats.LastCase})");
        Assert.Empty(stats.Failures);
        Assert.Equal(cases, stats.Rejected + stats.Loaded);
        Assert.True(stats.Rejected > cases / 4 && stats.Loaded > 0, "the mutator should reach both outcomes; otherwise it tests little");
        // No bound on the slowest case's time: it depends on the machine and its load. A hang fails through the run's
        // timeout above, and a case that reads what a header merely claims fails the per-case allocation bound.
        Assert.Equal(tensorsBefore, SettledTensorCount()); // no tensor leaks on any failure path
    }

    private void RunCases(ICheckpointMutator mutator, string extension, int seed, int cases, LinearBatchNorm model, ModelEma ema, optim.Optimizer optimizer, FuzzStats stats)
    {
        string path = _dir.File("mutated" + extension);
        for (int index = 0; index < cases; index++)
        {
            (byte[] bytes, string description) = mutator.Mutate(seed, index);
            stats.LastCase = $"seed {seed} case {index}: {description}";
            File.WriteAllBytes(path, bytes);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();

            Outcome info = Try(() => Checkpoint.ReadInfo(path));
            byte[] modelBefore = Bytes(model.state_dict());
            Outcome inference = Try(() => Checkpoint.LoadForInference(model, path));
            if (!inference.Loaded && !modelBefore.AsSpan().SequenceEqual(Bytes(model.state_dict())))
            {
                stats.Fail(stats.LastCase, "LoadForInference failed but changed the model");
            }

            modelBefore = Bytes(model.state_dict());
            byte[] emaBefore = Bytes(ema.EmaWeights);
            byte[] optimizerBefore = OptimizerStateBlob.Save(optimizer);
            Outcome resume = Try(() => Checkpoint.Resume(path, model, ema, optimizer));
            if (!resume.Loaded)
            {
                if (!modelBefore.AsSpan().SequenceEqual(Bytes(model.state_dict())))
                {
                    stats.Fail(stats.LastCase, "Resume failed but changed the model");
                }

                if (!emaBefore.AsSpan().SequenceEqual(Bytes(ema.EmaWeights)))
                {
                    stats.Fail(stats.LastCase, "Resume failed but changed the EMA");
                }

                if (!optimizerBefore.AsSpan().SequenceEqual(OptimizerStateBlob.Save(optimizer)))
                {
                    stats.Fail(stats.LastCase, "Resume failed but changed the optimizer");
                }
            }

            clock.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            if (allocated > MaxManagedBytesPerCase)
            {
                stats.Fail(stats.LastCase, $"allocated {allocated} managed bytes for a {bytes.Length}-byte file");
            }

            foreach (Outcome outcome in new[] { info, inference, resume })
            {
                if (outcome.Unexpected is { } unexpected)
                {
                    stats.Fail(stats.LastCase, $"{unexpected.GetType().Name}: {unexpected.Message}");
                }
            }

            stats.Record(resume, clock.Elapsed.TotalMilliseconds);
        }
    }

    private static Outcome Try(Action load)
    {
        try
        {
            load();
            return new Outcome(true, null, null);
        }
        catch (CheckpointException e)
        {
            return new Outcome(false, e, null);
        }
        catch (Exception e)
        {
            return new Outcome(false, null, e);
        }
    }

    /// <summary>The raw bytes of every tensor, in name order: exact, NaN payloads and signed zeros included.</summary>
    private static byte[] Bytes(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var buffer = new MemoryStream();
        foreach ((_, Tensor tensor) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            buffer.Write(tensor.bytes);
        }

        return buffer.ToArray();
    }

    private static long SettledTensorCount()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return Tensor.TotalCount;
    }

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;

    private sealed record Outcome(bool Loaded, CheckpointException? Rejection, Exception? Unexpected);

    /// <summary>Counts, the reasons for rejection, and the failures (each with the case that reproduces it).</summary>
    private sealed class FuzzStats
    {
        private readonly Dictionary<string, int> _reasons = new(StringComparer.Ordinal);
        private readonly object _lock = new();

        public List<string> Failures { get; } = [];

        public int Rejected { get; private set; }

        public int Loaded { get; private set; }

        public double SlowestMs { get; private set; }

        public volatile string LastCase = "none";

        public void Fail(string testCase, string what)
        {
            lock (_lock)
            {
                if (Failures.Count < 20)
                {
                    Failures.Add($"{testCase} -> {what}");
                }
            }
        }

        public void Record(Outcome outcome, double ms)
        {
            lock (_lock)
            {
                SlowestMs = Math.Max(SlowestMs, ms);
                if (outcome.Loaded)
                {
                    Loaded++;
                    return;
                }

                Rejected++;
                if (outcome.Rejection is { } rejection)
                {
                    string reason = Reason(rejection);
                    _reasons[reason] = _reasons.GetValueOrDefault(reason) + 1;
                }
            }
        }

        public string Report(int seed, int cases)
        {
            lock (_lock)
            {
                var lines = new List<string>
                {
                    $"seed {seed}: {cases} cases, {Rejected} rejected with CheckpointException, {Loaded} loaded, {Failures.Count} failures, slowest {SlowestMs:F1} ms",
                };
                lines.AddRange(_reasons.OrderByDescending(p => p.Value).Select(p => $"  {p.Value,6}  {p.Key}"));
                lines.AddRange(Failures.Select(f => "FAIL " + f));
                return string.Join(Environment.NewLine, lines);
            }
        }

        /// <summary>The message without the path and the numbers, to group rejections by kind.</summary>
        private static string Reason(CheckpointException e)
        {
            string message = e.Message;
            int colon = message.IndexOf("': ", StringComparison.Ordinal);
            message = colon >= 0 ? message[(colon + 3)..] : message;
            message = new string(message.Select(c => char.IsDigit(c) ? '#' : c).ToArray());
            return message.Length > 70 ? message[..70] : message;
        }
    }
}
