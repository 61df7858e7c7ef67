using Ema.Analyzers.Tests.Infrastructure;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.ScheduleDeclarationAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0003 and EMA0004: what a [DecaySchedule] class must be.</summary>
public sealed class ScheduleDeclarationAnalyzerTests
{
    private const string Usings = "using Ema; using System.ComponentModel.DataAnnotations;\n";

    [Fact]
    public async Task A_valid_schedule_reports_nothing()
    {
        await Test.RunAsync(Usings + """
            public enum Shape { Linear, Cosine }
            [DecaySchedule("warm-cosine")]
            public sealed class WarmCosineDecay(int warmupSteps = 100, [Range(0, 1)] double floor = 0, long l = 1, float f = 1, bool b = true, string s = "x", Shape shape = Shape.Linear) : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay;
            }
            [DecaySchedule("plain")]
            internal sealed class PlainDecay : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay;
            }
            """);
    }

    [Theory]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class {|EMA0004:LinearDecay|} { }")]
    [InlineData("[DecaySchedule(\"linear\")] public abstract class {|EMA0004:LinearDecay|} : IDecayFunction { public abstract double Compute(double decay, long step, long totalSteps); }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class {|EMA0004:LinearDecay|}<T> : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("public class Outer<T> { [DecaySchedule(\"linear\")] public sealed class {|EMA0004:LinearDecay|} : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; } }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class {|EMA0004:LinearDecay|} : IDecayFunction { private LinearDecay() { } public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(System.TimeSpan {|EMA0004:period|}) : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(int ok, decimal {|EMA0004:d|}, double[] {|EMA0004:a|}) : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule({|EMA0004:\"9lives\"|})] public sealed class LinearDecay : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule({|EMA0004:\"warm cosine\"|})] public sealed class LinearDecay : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule({|EMA0004:\"\"|})] public sealed class LinearDecay : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule({|EMA0004:null|})] public sealed class LinearDecay : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    // The shapes the generator used to drop silently: the shared check now reports each one.
    [InlineData("public static class O { [DecaySchedule(\"linear\")] private sealed class {|EMA0004:LinearDecay|} : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; } }")]
    [InlineData("public class O { [DecaySchedule(\"linear\")] protected sealed class {|EMA0004:LinearDecay|} : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; } }")]
    [InlineData("public sealed class LinearEmaParams { } [DecaySchedule(\"linear\")] public sealed class {|EMA0004:LinearDecay|} : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class {|EMA0004:LinearEmaParams|} : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed record {|EMA0004:LinearEmaParams|} : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(double {|EMA0004:decay|}) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(string {|EMA0004:decayType|}) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(bool {|EMA0004:toJson|}) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(int {|EMA0004:linearEmaParams|}) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay(int warmupSteps, int {|EMA0004:warmup_steps|}) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay : IDecayFunction { public LinearDecay(ref int {|EMA0004:a|}) { } public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay : IDecayFunction { public LinearDecay(out int {|EMA0004:a|}) { a = 0; } public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay : IDecayFunction { public LinearDecay(params int[] {|EMA0004:a|}) { } public double Compute(double d, long step, long totalSteps) => d; }")]
    [InlineData("[DecaySchedule(\"linear\")] public sealed class LinearDecay([Range(typeof(double), \"zero\", \"1\")] double {|EMA0004:floor|}) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }")]
    public async Task A_class_that_cannot_be_a_schedule_is_an_error(string declaration)
    {
        await Test.RunAsync(Usings + declaration);
    }

    [Fact]
    public async Task Record_schedules_and_typed_string_ranges_are_valid()
    {
        await Test.RunAsync(Usings + """
            [DecaySchedule("warm")]
            public sealed record WarmDecay([Range(typeof(double), "0.5", "1E3")] double Floor = 1, int WarmupSteps = 10) : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay;
            }
            """);
    }

    [Fact]
    public async Task A_parameter_clash_says_which_parameters_clash()
    {
        var test = new Test(Usings + "[DecaySchedule(\"linear\")] public sealed class LinearDecay(int warmupSteps, int warmup_steps) : IDecayFunction { public double Compute(double d, long step, long totalSteps) => d; }");
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0004").WithSpan(2, 80, 2, 92).WithArguments(
            "LinearDecay",
            "constructor parameter 'warmup_steps' would become property 'WarmupSteps' and config key 'warmup_steps', like parameter 'warmupSteps': rename one of them"));
        await test.RunAsync();
    }

    [Fact]
    public async Task The_message_says_the_rule_is_the_generators()
    {
        var test = new Test(Usings + "[DecaySchedule(\"linear\")] public sealed class LinearDecay { }");
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0004").WithSpan(2, 47, 2, 58).WithMessage(
            "[DecaySchedule] on 'LinearDecay' is invalid: it does not implement Ema.IDecayFunction " +
            "(a rule of the Ema source generator, which gives such a class no EmaParams record and no entry in the schedule registry)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Each_reason_is_its_own_message()
    {
        var test = new Test(Usings + "[DecaySchedule(\"bad name\")] public abstract class Bad<T> { }");
        string[] reasons =
        {
            "its name 'bad name' is not a valid schedule name: use a letter followed by letters, digits, '-' or '_', for example \"warm-cosine\"",
            "it does not implement Ema.IDecayFunction",
            "it is abstract, so the registry cannot create it",
            "it is generic (or nested in a generic type), so the registry cannot name one type to create",
        };
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0004").WithSpan(2, 16, 2, 26).WithArguments("Bad<T>", reasons[0]));
        foreach (string reason in reasons.Skip(1))
        {
            test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0004").WithSpan(2, 51, 2, 54).WithArguments("Bad<T>", reason));
        }

        await test.RunAsync();
    }

    [Fact]
    public async Task Two_schedules_with_one_name_are_an_error_on_both()
    {
        var test = new Test(Usings + """
            [DecaySchedule("linear")] public sealed class A : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            [DecaySchedule("linear")] public sealed class B : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0003").WithSpan(2, 16, 2, 24).WithArguments("name 'linear'", "A (TestProject)", "B (TestProject)"));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0003").WithSpan(3, 16, 3, 24).WithArguments("name 'linear'", "B (TestProject)", "A (TestProject)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_user_schedule_taking_a_built_in_name_is_an_error()
    {
        var test = new Test(Usings + """
            namespace App { [DecaySchedule("exp")] public sealed class MyExp : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; } }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0003").WithSpan(2, 32, 2, 37).WithArguments("name 'exp'", "App.MyExp (TestProject)", "Ema.ExpDecay (Ema.Runtime)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Two_names_that_give_one_record_in_one_namespace_are_an_error_on_both_naming_the_record()
    {
        var test = new Test(Usings + """
            namespace App
            {
                [DecaySchedule("warm-cosine")] public sealed class A : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                [DecaySchedule("warm_cosine")] public sealed class B : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            }
            namespace Other
            {
                [DecaySchedule("warm-hold")] public sealed class C : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0003").WithSpan(4, 20, 4, 33)
            .WithArguments("record App.WarmCosineEmaParams (from the names 'warm-cosine' and 'warm_cosine')", "App.A (TestProject)", "App.B (TestProject)"));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0003").WithSpan(5, 20, 5, 33)
            .WithArguments("record App.WarmCosineEmaParams (from the names 'warm_cosine' and 'warm-cosine')", "App.B (TestProject)", "App.A (TestProject)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task One_record_name_in_two_namespaces_is_no_collision()
    {
        await Test.RunAsync(Usings + """
            namespace App { [DecaySchedule("warm-cosine")] public sealed class A : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; } }
            namespace Other { [DecaySchedule("warm_cosine")] public sealed class B : IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; } }
            """);
    }
}
