using Microsoft.CodeAnalysis;

namespace Ema.Generators.Tests;

/// <summary>Classes that cannot be schedules get nothing and never make the generator throw (the analyzers report EMA0004).</summary>
public sealed class UnsupportedTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "abstract", "[DecaySchedule(\"x\")] public abstract class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "generic", "[DecaySchedule(\"x\")] public sealed class S<T> : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "no public constructor", "[DecaySchedule(\"x\")] public sealed class S : IDecayFunction { private S() { } public double Compute(double d, long s, long t) => d; }" },
        { "no IDecayFunction", "[DecaySchedule(\"x\")] public sealed class S { public double Compute(double d, long s, long t) => d; }" },
        { "name starting with a digit", "[DecaySchedule(\"1x\")] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "name with a space", "[DecaySchedule(\"x y\")] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "empty name", "[DecaySchedule(\"\")] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "null name", "[DecaySchedule(null!)] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "DateTime parameter", "[DecaySchedule(\"x\")] public sealed class S(System.DateTime start) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "array parameter", "[DecaySchedule(\"x\")] public sealed class S(double[] points) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "decimal parameter", "[DecaySchedule(\"x\")] public sealed class S(decimal m) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "ref parameter", "[DecaySchedule(\"x\")] public sealed class S : IDecayFunction { public S(ref int a) { } public double Compute(double d, long s, long t) => d; }" },
        { "parameter named decay", "[DecaySchedule(\"x\")] public sealed class S(double decay) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "parameter named decayType", "[DecaySchedule(\"x\")] public sealed class S(string decayType) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "parameter named toJson", "[DecaySchedule(\"x\")] public sealed class S(bool toJson) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "class named like its record", "[DecaySchedule(\"x\")] public sealed class XEmaParams : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "private nested class", "public static class O { [DecaySchedule(\"x\")] private sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; } }" },
        { "protected nested class", "public class O { [DecaySchedule(\"x\")] protected sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; } }" },
        { "non-record type named like the record", "public sealed class XEmaParams { } [DecaySchedule(\"x\")] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "record named like its record", "[DecaySchedule(\"x\")] public sealed record XEmaParams : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "two parameters with one key", "[DecaySchedule(\"x\")] public sealed class S(int warmupSteps, int warmup_steps) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "parameter named like the record", "[DecaySchedule(\"x\")] public sealed class S(int xEmaParams) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "out parameter", "[DecaySchedule(\"x\")] public sealed class S : IDecayFunction { public S(out int a) { a = 0; } public double Compute(double d, long s, long t) => d; }" },
        { "params parameter", "[DecaySchedule(\"x\")] public sealed class S : IDecayFunction { public S(params int[] a) { } public double Compute(double d, long s, long t) => d; }" },
        { "unreadable typed range", "[DecaySchedule(\"x\")] public sealed class S([System.ComponentModel.DataAnnotations.Range(typeof(double), \"zero\", \"1\")] double f) : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "static class", "[DecaySchedule(\"x\")] public static class S { }" },
        { "broken attribute", "[DecaySchedule(] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d }" },
        { "non-string name", "[DecaySchedule(42)] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
        { "two schedules with one name", "[DecaySchedule(\"x\")] public sealed class S : IDecayFunction { public double Compute(double d, long s, long t) => d; } [DecaySchedule(\"x\")] public sealed class T : IDecayFunction { public double Compute(double d, long s, long t) => d; }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Nothing_is_generated_for_the_class_and_the_generator_does_not_throw(string name, string source)
    {
        var compilation = GeneratorHarness.Compile("Consumer", null, "using Ema; namespace N; " + source);

        GeneratorRunResult result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.True(result.Exception is null, $"{name}: {result.Exception}");
        Assert.Empty(result.Diagnostics);

        // The forwarding registry (to Ema.Runtime's) is still emitted; no record and no registration is.
        GeneratedSourceResult only = Assert.Single(result.GeneratedSources);
        Assert.Equal("Ema.Generated.Consumer.DecayScheduleRegistry.g.cs", only.HintName);
        Assert.DoesNotContain("DecayScheduleRegistration", only.SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_supported_twin_of_the_cases_above_does_generate()
    {
        // Control: the same shape with a valid name and parameter generates a record.
        var compilation = GeneratorHarness.Compile("Consumer", null, "using Ema; namespace N; [DecaySchedule(\"x\")] public sealed class S(double start) : IDecayFunction { public double Compute(double d, long s, long t) => d; }");

        GeneratorRunResult result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.Contains(result.GeneratedSources, s => s.HintName == "N.XEmaParams.g.cs");
    }

    [Fact]
    public void Without_a_reference_to_Ema_Runtime_nothing_is_generated()
    {
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Bare",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("namespace N; [System.Obsolete] public sealed class S { }")],
            Basic.Reference.Assemblies.Net100.References.All);

        GeneratorRunResult result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
    }
}
