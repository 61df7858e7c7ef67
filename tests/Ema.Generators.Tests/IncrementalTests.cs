using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Generators.Tests;

/// <summary>The pipeline caches: a rerun and an unrelated edit only report Cached/Unchanged, and no step holds symbols or syntax.</summary>
public sealed class IncrementalTests
{
    private static readonly string[] s_steps =
    [
        DecayScheduleGenerator.Steps.Schedules,
        DecayScheduleGenerator.Steps.AllSchedules,
        DecayScheduleGenerator.Steps.Assembly,
        DecayScheduleGenerator.Steps.Output,
    ];

    [Fact]
    public void A_second_run_reports_only_cached_or_unchanged_steps()
    {
        var compilation = GeneratorHarness.Compile("Consumer", null, Sources.Linear, Sources.Ranged);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.Clone());

        AssertAllCached(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void An_unrelated_edit_reports_only_cached_or_unchanged_steps()
    {
        var compilation = GeneratorHarness.Compile("Consumer", null, Sources.Linear, Sources.Ranged, "namespace Other; public static class Util { public static int Two() => 2; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(
            old,
            CSharpSyntaxTree.ParseText("namespace Other; public static class Util { public static int Two() => 1 + 1; public static int Three() => 3; }", GeneratorHarness.ParseOptions, old.FilePath));

        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        AssertAllCached(result);
        Assert.Contains(result.TrackedSteps[DecayScheduleGenerator.Steps.Assembly], s => s.Outputs.Any(o => o.Reason == IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void Editing_a_schedule_is_seen_as_a_modification()
    {
        // Control for the tests above: a real change does flow through, so "all cached" is not vacuous.
        var compilation = GeneratorHarness.Compile("Consumer", null, Sources.Linear);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Sources.Linear.Replace("\"linear\"", "\"linear2\"", StringComparison.Ordinal), GeneratorHarness.ParseOptions, old.FilePath));

        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[DecayScheduleGenerator.Steps.Schedules], s => s.Outputs.Any(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Seed.Linear2EmaParams.g.cs");
    }

    [Fact]
    public void No_step_output_holds_symbols_syntax_locations_or_compilations()
    {
        var compilation = GeneratorHarness.Compile("Consumer", null, Sources.Linear, Sources.EveryType, Sources.Ranged);
        GeneratorRunResult result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();

        int walked = 0;
        foreach (string step in s_steps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach ((object value, _) in run.Outputs)
                {
                    walked += Walk(value, step, 0);
                }
            }
        }

        Assert.True(walked > 10, $"only {walked} objects were inspected");
    }

    private static void AssertAllCached(GeneratorRunResult result)
    {
        foreach (string step in s_steps)
        {
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach ((_, IncrementalStepRunReason reason) in run.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step} reported {reason}");
                }
            }
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    private static int Walk(object? value, string step, int depth)
    {
        if (value is null || depth > 8 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return 1;
        }

        Assert.False(value is ISymbol or SyntaxNode or Location or Compilation or SemanticModel, $"step {step} holds a {value.GetType().Name}");
        int count = 1;
        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                count += Walk(item, step, depth + 1);
            }

            return count;
        }

        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            count += Walk(field.GetValue(value), step, depth + 1);
        }

        return count;
    }
}
