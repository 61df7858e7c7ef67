using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis.Testing;

namespace Ema.Analyzers.Tests;

/// <summary>The replace-with-suggestion fix for EMA0001, EMA0002 and EMA0006, in C# and in JSON files.</summary>
public sealed class CodeFixTests
{
    [Fact]
    public async Task EMA0001_in_CSharp_becomes_the_default_decay()
    {
        var test = new FixTest<DecayValueAnalyzer>
        {
            TestCode = """
                using Ema;
                class C
                {
                    object A() => new ExpEmaParams(decay: {|EMA0001:1.2|});
                    object B(EmaParams p) => p with { Decay = {|EMA0001:1 + 0.5|} };
                }
                """,
            FixedCode = """
                using Ema;
                class C
                {
                    object A() => new ExpEmaParams(decay: 0.9999);
                    object B(EmaParams p) => p with { Decay = 0.9999 };
                }
                """,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task EMA0001_on_a_float_decay_keeps_the_float_literal()
    {
        var test = new FixTest<DecayValueAnalyzer>
        {
            TestCode = """
                using System;
                sealed class EmaOptionsAttribute(float decay) : Attribute { public float Value { get; } = decay; }
                [EmaOptions({|EMA0001:1.5f|})] class C { }
                [Ema.DecaySchedule("mine")] sealed class MineDecay : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                """,
            FixedCode = """
                using System;
                sealed class EmaOptionsAttribute(float decay) : Attribute { public float Value { get; } = decay; }
                [EmaOptions(0.9999f)] class C { }
                [Ema.DecaySchedule("mine")] sealed class MineDecay : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                """,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task EMA0002_in_CSharp_becomes_the_closest_name()
    {
        var test = new FixTest<ScheduleNameAnalyzer>
        {
            TestCode = """
                static class Factory { public static string Make(string decayType) => decayType; }
                class C { string M() => Factory.Make({|EMA0002:"treshold"|}); }
                """,
            FixedCode = """
                static class Factory { public static string Make(string decayType) => decayType; }
                class C { string M() => Factory.Make("threshold"); }
                """,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task A_name_with_no_close_match_gets_no_fix()
    {
        const string code = """
            static class Factory { public static string Make(string decayType) => decayType; }
            class C { string M() => Factory.Make({|EMA0002:"polynomial-warmup"|}); }
            """;
        var test = new FixTest<ScheduleNameAnalyzer> { TestCode = code, FixedCode = code };
        await test.RunAsync();
    }

    [Fact]
    public async Task JSON_diagnostics_are_fixed_in_the_additional_file()
    {
        // The testing library asks fixers only about diagnostics in C# documents, so this drives the
        // workspace the way the IDE does for an additional document.
        string fixedJson = await AdditionalFileFixer.FixAllAsync<JsonConfigAnalyzer>("train.json", """
            {
              "ema_params": {"decay": 1.2, "decay_type": "constnat", "betta": 15}
            }
            """);
        Assert.Equal("""
            {
              "ema_params": {"decay": 0.9999, "decay_type": "constant", "beta": 15}
            }
            """, fixedJson);
    }

    [Fact]
    public async Task A_fixed_JSON_file_reports_nothing()
    {
        await Infrastructure.AnalyzerTest<JsonConfigAnalyzer>.RunAsync("class C { }", ("train.json", """{"ema_params": {"decay": 0.9999, "decay_type": "constant", "beta": 15}}"""));
    }
}
