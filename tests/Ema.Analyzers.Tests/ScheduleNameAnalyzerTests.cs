using Ema.Analyzers.Tests.Infrastructure;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.ScheduleNameAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0002 in C#: string parameters that take a schedule name.</summary>
public sealed class ScheduleNameAnalyzerTests
{
    private static string WithFactory(string call) => $$"""
        using Ema;
        static class Factory
        {
            public static string Make(string decayType) => decayType;
            public static string Other(string scheduleName, string label = "x") => scheduleName + label;
        }
        class C
        {
            const string Typo = "constnat";
            object M(string fromConfig) => {{call}};
        }
        """;

    [Theory]
    [InlineData("Factory.Make({|EMA0002:\"exq\"|})")]
    [InlineData("Factory.Make(decayType: {|EMA0002:\"linear\"|})")]
    [InlineData("Factory.Other({|EMA0002:Typo|})")]
    [InlineData("Factory.Make({|EMA0002:\"thres\" + \"hold2\"|})")]
    public async Task An_unknown_constant_schedule_name_is_an_error(string call)
    {
        await Test.RunAsync(WithFactory(call));
    }

    [Theory]
    [InlineData("Factory.Make(\"exp\")")]
    [InlineData("Factory.Make(\"thres\" + \"hold\")")]
    [InlineData("Factory.Make(fromConfig)")]
    [InlineData("Factory.Other(\"constant\", label: \"not a schedule\")")]
    [InlineData("Factory.Make(\"warm\")")]
    public async Task Known_or_non_constant_names_report_nothing(string call)
    {
        var test = new Test(WithFactory(call));
        test.TestState.Sources.Add(Sources.WarmSchedule);
        await test.RunAsync();
    }

    [Fact]
    public async Task The_message_suggests_the_closest_name_and_lists_the_known_ones()
    {
        var test = new Test(WithFactory("Factory.Make(\"exq\")"));
        test.TestState.Sources.Add(Sources.WarmSchedule);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0002").WithSpan(10, 49, 10, 54)
            .WithArguments("exq", " (did you mean 'exp'?)", BuiltInSchedules.Listed(", ", "warm"), "Ema.Runtime, TestProject"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_schedule_the_generator_cannot_emit_is_not_a_known_name()
    {
        // "hidden" fails the shape check (private nested class): the registry will never know it, so neither does EMA0002.
        await Test.RunAsync(WithFactory("Factory.Make({|EMA0002:\"hidden\"|}) + Factory.Make(\"shown\")") + """

            static class Outer
            {
                [DecaySchedule("hidden")] private sealed class Hidden : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                [DecaySchedule("shown")] internal sealed class Shown : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            }
            """);
    }
}
