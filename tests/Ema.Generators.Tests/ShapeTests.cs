using Microsoft.CodeAnalysis;

namespace Ema.Generators.Tests;

/// <summary>Shapes the shared check accepts (record schedules, the typed-string [Range]) and registry names that must not collide.</summary>
public sealed class ShapeTests
{
    [Fact]
    public void A_record_schedule_generates_its_record_and_registration()
    {
        var input = GeneratorHarness.Compile("Consumer", null, """
            using Ema;
            namespace N;
            /// <summary>A record schedule.</summary>
            /// <param name="Floor">The floor.</param>
            [DecaySchedule("warm")]
            public sealed record WarmDecay(double Floor = 0.5) : IDecayFunction
            {
                /// <inheritdoc/>
                public double Compute(double decay, long step, long totalSteps) => System.Math.Max(Floor, decay);
            }
            """);

        var (result, output) = GeneratorHarness.Run(input);

        string record = GeneratorHarness.Source(result, "N.WarmEmaParams.g.cs");
        Assert.Contains("public WarmEmaParams(double decay = global::Ema.EmaParams.DefaultDecay, double Floor = 0.5)", record, StringComparison.Ordinal);
        Assert.Contains("writer.WriteNumber(\"floor\", this.Floor);", record, StringComparison.Ordinal);
        Assert.Contains("\"warm\",", GeneratorHarness.Source(result, "Ema.Generated.Consumer.DecayScheduleRegistry.g.cs"), StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.GeneratedProblems(input, output));
    }

    [Fact]
    public void A_typed_string_range_is_validated_with_invariant_culture_bounds()
    {
        var input = GeneratorHarness.Compile("Consumer", null, """
            using Ema;
            using System.ComponentModel.DataAnnotations;
            namespace N;
            [DecaySchedule("floor")]
            public sealed class FloorDecay([Range(typeof(double), "0.5", "1E3", MaximumIsExclusive = true)] double floor = 1) : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay;
            }
            """);

        var (result, output) = GeneratorHarness.Run(input);

        string record = GeneratorHarness.Source(result, "N.FloorEmaParams.g.cs");
        Assert.Contains("if (!(value >= 0.5 && value < 1000.0))", record, StringComparison.Ordinal);
        Assert.Contains("floor must be >= 0.5 and < 1000", record, StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.GeneratedProblems(input, output));
    }

    [Theory]
    [InlineData("Ema.Runtime", "Ema_Runtime")]
    [InlineData("A.B", "A_B")]
    [InlineData("Lib2", "Lib2")]
    [InlineData("1st.Lib", "_1st_Lib")]
    public void Names_of_letters_digits_and_dots_keep_the_plain_registry_name(string assembly, string expected)
    {
        Assert.Equal(expected, RegistryNaming.Identifier(assembly));
    }

    [Fact]
    public void Names_that_sanitizing_changes_get_a_stable_hash_of_the_exact_name()
    {
        string underscore = RegistryNaming.Identifier("My_Lib");
        string hyphen = RegistryNaming.Identifier("My-Lib");

        Assert.Matches("^My_Lib__[0-9a-f]{8}$", underscore);
        Assert.Matches("^My_Lib__[0-9a-f]{8}$", hyphen);
        Assert.NotEqual(underscore, hyphen);
        Assert.NotEqual(RegistryNaming.Identifier("My.Lib"), underscore);

        // FNV-1a 32 of "a" is a published test vector: the hash does not depend on the process or machine.
        Assert.Equal("e40c292c", RegistryNaming.Fnv1a("a"));
    }

    [Fact]
    public void Two_names_giving_one_record_in_one_namespace_get_no_record_and_no_registration_and_the_rest_do()
    {
        const string schedules = """
            namespace App
            {
                [Ema.DecaySchedule("warm-cosine")] public sealed class A : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                [Ema.DecaySchedule("warm_cosine")] public sealed class B : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                [Ema.DecaySchedule("warm_hold")] public sealed class C : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            }
            """;
        var input = GeneratorHarness.Compile("App", null, schedules);

        var (result, output) = GeneratorHarness.Run(input);

        Assert.Empty(GeneratorHarness.GeneratedProblems(input, output));
        Assert.Equal(
            ["App.WarmHoldEmaParams.g.cs", "Ema.Generated.App.DecayScheduleRegistry.g.cs"],
            result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("warm-cosine", GeneratorHarness.Source(result, "Ema.Generated.App.DecayScheduleRegistry.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_consumer_of_two_libraries_named_A_B_and_A_underscore_B_compiles_and_sees_both_schedules()
    {
        byte[] dotted = CompileLibrary("A.B", "dotted");
        byte[] underscored = CompileLibrary("A_B", "underscored");
        const string app = """
            namespace App;
            public static class Driver
            {
                public static string Run() => string.Join(",", Ema.DecaySchedules.Names);
            }
            """;
        var input = GeneratorHarness.Compile("App", [MetadataReference.CreateFromImage(dotted), MetadataReference.CreateFromImage(underscored)], app);

        var (result, output) = GeneratorHarness.Run(input);

        Assert.Empty(GeneratorHarness.GeneratedProblems(input, output));
        string registry = GeneratorHarness.Source(result, "Ema.Generated.App.DecayScheduleRegistry.g.cs");
        Assert.Contains("global::Ema.Generated.A_B.DecayScheduleRegistry.Register();", registry, StringComparison.Ordinal);
        Assert.Contains("global::Ema.Generated.A_B__" + RegistryNaming.Fnv1a("A_B") + ".DecayScheduleRegistry.Register();", registry, StringComparison.Ordinal);
        var context = new IsolatedRuntime(new() { ["A.B"] = dotted, ["A_B"] = underscored, ["App"] = GeneratorHarness.Emit(output) });
        try
        {
            Assert.Equal(BuiltInSchedules.Listed(",", "dotted", "underscored"), context.Invoke("App", "App.Driver", "Run"));
        }
        finally
        {
            context.Unload();
        }
    }

    private static byte[] CompileLibrary(string assembly, string schedule)
    {
        var input = GeneratorHarness.Compile(assembly, null, $$"""
            namespace Lib{{schedule}};
            [Ema.DecaySchedule("{{schedule}}")]
            public sealed class S : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            """);
        var (_, output) = GeneratorHarness.Run(input);
        Assert.Empty(GeneratorHarness.GeneratedProblems(input, output));
        return GeneratorHarness.Emit(output);
    }
}
