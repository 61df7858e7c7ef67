using System.Globalization;
using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace Ema.Runtime.Tests.Property;

/// <summary>
/// The stateful property test (issue 19): random sequences of operations on a model, its EMAs, a twin and checkpoints,
/// checked after every operation against a plain reference model of the EMA (<see cref="EmaHarness"/>).
/// </summary>
/// <remarks>
/// CI runs <see cref="DefaultCases"/> sequences; <c>EMA_PROPERTY_CASES</c> runs more, <c>EMA_PROPERTY_SEED</c> replays a
/// CsCheck seed printed by a failure, <c>EMA_PROPERTY_LENGTH</c> changes the longest sequence.
/// </remarks>
public sealed class EmaPropertyTests(ITestOutputHelper output)
{
    private const int DefaultCases = 150;
    private const int DefaultLength = 40;
    private const int ShrinkRuns = 400;

    [Fact]
    public void Random_operation_sequences_keep_raw_weights_EMA_lerp_checkpoints_and_finiteness_right()
    {
        long cases = Environment("EMA_PROPERTY_CASES", DefaultCases);
        int length = (int)Environment("EMA_PROPERTY_LENGTH", DefaultLength);
        string? seed = System.Environment.GetEnvironmentVariable("EMA_PROPERTY_SEED");
        HashSet<OperationKind> leftOut = LeftOut();
        (int Seed, EmaOperation[] Operations, PropertyFailure Failure)? smallest = null;
        double largestErrorToBound = 0;
        int operationsRun = 0;

        try
        {
            Gen.Select(Gen.Int[0, 1_000_000], EmaOperation.Sequence(length, leftOut)).Sample(
                (modelSeed, operations) =>
                {
                    try
                    {
                        (double ratio, int run) = Run(modelSeed, operations);
                        largestErrorToBound = Math.Max(largestErrorToBound, ratio);
                        operationsRun += run;
                    }
                    catch (PropertyFailure failure) when (smallest is null || operations.Length < smallest.Value.Operations.Length)
                    {
                        smallest = (modelSeed, operations, failure);
                        throw;
                    }
                },
                writeLine: output.WriteLine, seed: seed, iter: cases, threads: 1,
                print: t => Describe(t.Item1, t.Item2));
        }
        catch (Exception e) when (smallest is { } found)
        {
            EmaOperation[] minimal = Shrink(found.Seed, found.Operations, found.Failure.Rule);
            string report = $"{e.Message}\n\nSmallest failing sequence after removing operations ({minimal.Length} of {found.Operations.Length}):\n{Replay(found.Seed, minimal)}";
            output.WriteLine(report);
            Assert.Fail(report);
        }

        Assert.True(leftOut.Count == 0, $"EMA_PROPERTY_SKIP left out {string.Join(", ", leftOut)}: the property holds without them only.");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{cases} sequences, {operationsRun} operations; largest EMA error / float rounding bound: {largestErrorToBound:F3}"));
    }

    /// <summary>Runs one sequence; returns the largest error-to-bound ratio and the operation count.</summary>
    private static (double Ratio, int Operations) Run(int modelSeed, EmaOperation[] operations)
    {
        using var harness = new EmaHarness(modelSeed);
        for (int i = 0; i < operations.Length; i++)
        {
            try
            {
                harness.Apply(operations[i]);
            }
            catch (Exception e)
            {
                string rule = e is PropertyFailure failure ? failure.Rule : "exception " + e.GetType().Name;
                throw new PropertyFailure(rule, $"operation {i}, {operations[i]}, broke a rule: {e.Message}\nBefore it:\n  {string.Join("\n  ", harness.Log)}", e);
            }
        }

        harness.CheckEveryCheckpoint();
        return (harness.LargestErrorToBound, operations.Length);
    }

    /// <summary>Removes operations (halves, then smaller runs, then single ones) while the sequence still breaks the same rule.</summary>
    private static EmaOperation[] Shrink(int modelSeed, EmaOperation[] operations, string rule)
    {
        var current = operations.ToList();
        int runs = 0;
        for (int chunk = Math.Max(1, current.Count / 2); chunk >= 1 && runs < ShrinkRuns; chunk /= 2)
        {
            for (int start = 0; start < current.Count && runs < ShrinkRuns;)
            {
                List<EmaOperation> candidate = current.Take(start).Concat(current.Skip(start + chunk)).ToList();
                runs++;
                if (candidate.Count > 0 && FailsWith(modelSeed, candidate.ToArray(), rule))
                {
                    current = candidate;
                }
                else
                {
                    start += chunk;
                }
            }
        }

        return current.ToArray();
    }

    private static bool FailsWith(int modelSeed, EmaOperation[] operations, string rule)
    {
        try
        {
            Run(modelSeed, operations);
            return false;
        }
        catch (PropertyFailure failure)
        {
            return failure.Rule == rule;
        }
    }

    /// <summary>The sequence and what it did, run once more for the report.</summary>
    private static string Replay(int modelSeed, EmaOperation[] operations)
    {
        var text = new StringBuilder(Describe(modelSeed, operations));
        try
        {
            Run(modelSeed, operations);
            text.Append("\n(it passed when run again)");
        }
        catch (PropertyFailure failure)
        {
            text.Append("\nFailure: ").Append(failure.Message);
        }

        return text.ToString();
    }

    private static string Describe(int modelSeed, EmaOperation[] operations) =>
        $"model seed {modelSeed}, {operations.Length} operations:\n  {string.Join("\n  ", operations.Select((o, i) => $"{i}: {o}"))}";

    /// <summary>
    /// Operation kinds to leave out, from <c>EMA_PROPERTY_SKIP</c> (comma-separated names): a diagnosis aid, to look for a
    /// second defect while a first one is known. A run that leaves anything out never passes.
    /// </summary>
    private static HashSet<OperationKind> LeftOut() =>
        (System.Environment.GetEnvironmentVariable("EMA_PROPERTY_SKIP") ?? "")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(name => Enum.Parse<OperationKind>(name, ignoreCase: true))
        .ToHashSet();

    private static long Environment(string name, long fallback) =>
        long.TryParse(System.Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value > 0 ? value : fallback;
}
