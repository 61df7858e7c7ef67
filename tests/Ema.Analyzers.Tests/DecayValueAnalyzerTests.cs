using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis.Testing;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.DecayValueAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0001 and EMA0005 in C#: every way a constant reaches a decay or a schedule parameter.</summary>
public sealed class DecayValueAnalyzerTests
{
    private static string InMethod(string body) => $$"""
        using Ema;
        class C
        {
            const double TooHigh = 1.2;
            object M(EmaParams p)
            {
                {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("return new ExpEmaParams({|EMA0001:1.2|});")]
    [InlineData("return new ConstantEmaParams(decay: {|EMA0001:1.2|});")]
    [InlineData("return new ExpEmaParams(beta: 10, decay: {|EMA0001:1.2|});")]
    [InlineData("return new ThresholdEmaParams { Decay = {|EMA0001:1.2|} };")]
    [InlineData("return p with { Decay = {|EMA0001:1.2|} };")]
    [InlineData("return new ExpEmaParams({|EMA0001:TooHigh|});")]
    [InlineData("const double local = 2; return new ExpEmaParams({|EMA0001:local|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:1 + 0.2|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:-0.5|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:1e0|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:1|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:0|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:0.0|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:1.5f|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:TooHigh - 0.2|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:double.NaN|});")]
    [InlineData("ExpEmaParams target = new({|EMA0001:1.2|}); return target;")]
    [InlineData("ExpEmaParams target = new(beta: 10, decay: {|EMA0001:1.2|}); return target;")]
    [InlineData("return new ExpDecay().Compute({|EMA0001:1.2|}, 1, 10);")]
    [InlineData("IDecayFunction f = new ConstantDecay(); return f.Compute(decay: {|EMA0001:-1|}, step: 1, totalSteps: 10);")]
    public async Task A_constant_decay_outside_the_open_interval_is_an_error(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Theory]
    [InlineData("return new ExpEmaParams(0.5);")]
    [InlineData("return new ExpEmaParams(0.9999);")]
    [InlineData("return new ExpEmaParams(decay: 1e-9);")]
    [InlineData("return new ExpEmaParams();")]
    [InlineData("return new ThresholdEmaParams { Decay = 0.999 };")]
    [InlineData("return p with { Decay = p.Decay };")]
    [InlineData("double d = 1.2; return new ExpEmaParams(d);")]
    [InlineData("return new ExpEmaParams(System.Math.Min(1.5, 0.9));")]
    [InlineData("return new ExpEmaParams(Compute());")]
    [InlineData("return new ExpEmaParams(TooHigh / 2);")]
    [InlineData("return Unrelated(decay: 1.2);")]
    [InlineData("return EmaParams.ValidateDecay(1.2);")]
    public async Task Valid_or_non_constant_decays_report_nothing(string body)
    {
        string source = InMethod(body).Replace("class C\n{", "class C\n{\n    static double Compute() => 1.2;\n    static object Unrelated(double decay) => decay;", StringComparison.Ordinal);
        await Test.RunAsync(source);
    }

    [Fact]
    public async Task A_decay_passed_to_the_EmaParams_base_constructor_is_checked()
    {
        // The generated records are sealed; a hand-written record derives from EmaParams itself.
        await Test.RunAsync("""
            using Ema;
            sealed record PrimaryParams() : EmaParams({|EMA0001:1.2|})
            {
                public override string DecayType => "primary";
                protected override void WriteScheduleParameters(System.Text.Json.Utf8JsonWriter writer) { }
                protected override IDecayFunction CreateSchedule() => new ConstantDecay();
            }

            sealed record ExplicitParams : EmaParams
            {
                public ExplicitParams() : base({|EMA0001:1.2|}) { }
                public ExplicitParams(int unused) : base(decay: {|EMA0001:-1|}) { }
                public ExplicitParams(double decay) : base(decay) { }
                public ExplicitParams(bool unused) : base(0.99) { }
                public override string DecayType => "explicit";
                protected override void WriteScheduleParameters(System.Text.Json.Utf8JsonWriter writer) { }
                protected override IDecayFunction CreateSchedule() => new ConstantDecay();
            }
            """);
    }

    [Fact]
    public async Task Field_and_property_initializers_are_checked()
    {
        await Test.RunAsync("""
            using Ema;
            class C
            {
                static readonly EmaParams Field = new ExpEmaParams({|EMA0001:1.01|});
                EmaParams Property { get; } = new ConstantEmaParams { Decay = {|EMA0001:-0.1|} };
            }
            """);
    }

    [Fact]
    public async Task Attribute_arguments_and_attribute_property_initializers_are_checked()
    {
        await Test.RunAsync("""
            using System;
            [AttributeUsage(AttributeTargets.Class)]
            sealed class EmaOptionsAttribute : Attribute
            {
                public EmaOptionsAttribute(double decay = 0.9999) => Decay = decay;
                public double Decay { get; set; }
                public double Fallback { get; set; } = 0.5;
            }

            [AttributeUsage(AttributeTargets.Class)]
            sealed class BadDefaultAttribute : Attribute
            {
                public double Decay { get; set; } = {|EMA0001:1.5|};
            }

            [EmaOptions({|EMA0001:1.2|})] class A { }
            [EmaOptions(decay: {|EMA0001:1|})] class B { }
            [EmaOptions(Decay = {|EMA0001:2.0|})] class D { }
            [EmaOptions(0.99, Decay = 0.999, Fallback = 7)] class E { }

            // Attributes count in a project that declares schedules.
            [Ema.DecaySchedule("mine")] sealed class MineDecay : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            """);
    }

    [Fact]
    public async Task An_unrelated_attribute_with_a_decay_reports_nothing_in_a_project_without_schedules()
    {
        // The same attribute as above, in a project that only references Ema: "decay" is not an EMA decay here.
        await Test.RunAsync("""
            using System;
            [AttributeUsage(AttributeTargets.Class)]
            sealed class BackoffAttribute : Attribute
            {
                public BackoffAttribute(double decay = 2) => Decay = decay;
                public double Decay { get; set; } = 1.5;
            }

            [Backoff(1.5)] class A { }
            [Backoff(decay: 2, Decay = 3)] class B { }
            class C { object M() => new Ema.ExpEmaParams({|EMA0001:1.5|}); }
            """);
    }

    [Fact]
    public async Task The_message_names_the_value_the_interval_and_the_rule()
    {
        var test = new Test("""
            using Ema;
            class C { object M() => new ExpEmaParams(1 + 0.2); }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan(2, 42, 2, 49).WithArguments("1.2", "Ema.EmaParams.Decay"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("1.2f", "1.2")]
    [InlineData("1.5f", "1.5")]
    [InlineData("-0.1f", "-0.1")]
    [InlineData("1.2", "1.2")]
    // An explicit cast is the user's own double: shown as that double.
    [InlineData("(double)1.2f", "1.2000000476837158")]
    public async Task The_message_shows_a_float_decay_as_the_float_that_was_written(string argument, string shown)
    {
        var test = new Test($$"""
            using Ema;
            class C { object M() => new ExpEmaParams({{argument}}); }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan(2, 42, 2, 42 + argument.Length).WithArguments(shown, "Ema.EmaParams.Decay"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_float_typed_decay_and_a_float_schedule_parameter_are_shown_as_floats()
    {
        var test = new Test("""
            using System;
            using System.ComponentModel.DataAnnotations;
            using Ema;
            [AttributeUsage(AttributeTargets.Class)]
            sealed class EmaOptionsAttribute(float decay) : Attribute { public float Decay { get; set; } = decay; }
            [EmaOptions(1.2f)] class A { }
            [EmaOptions(0.5f, Decay = 1.1f)] class B { }
            [DecaySchedule("floor")]
            public sealed class FloorDecay([Range(0.5, 10)] float floor = 1) : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay;
            }
            class C { object M() => new FloorDecay(0.2f); }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan(6, 13, 6, 17).WithArguments("1.2", "Ema.EmaParams.Decay"));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan(7, 27, 7, 31).WithArguments("1.1", "Ema.EmaParams.Decay"));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0005").WithSpan(13, 40, 13, 44)
            .WithArguments("floor", "0.2", "in the interval [0.5, 10]", "floor", "FloorDecay"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("return new ExpEmaParams(beta: {|EMA0005:0|});")]
    [InlineData("return new ExpEmaParams(0.99, {|EMA0005:-15|});")]
    [InlineData("return new ExpEmaParams { Beta = {|EMA0005:-1.0|} };")]
    [InlineData("return (ExpEmaParams)p with { Beta = {|EMA0005:0|} };")]
    [InlineData("return new ExpDecay({|EMA0005:0|});")]
    [InlineData("return new ExpEmaParams({|EMA0001:2|}, {|EMA0005:0|});")]
    [InlineData("return new TauEmaParams(tau: {|EMA0005:0|});")]
    [InlineData("return new PowerEmaParams { SigmaRel = {|EMA0005:0.5|} };")]
    [InlineData("return new WarmupEmaParams(invGamma: {|EMA0005:0|});")]
    public async Task A_schedule_parameter_outside_its_declared_range_is_an_error(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Theory]
    [InlineData("return new ExpEmaParams(beta: 15);")]
    [InlineData("return new ExpEmaParams(beta: 1e-6);")]
    [InlineData("return new ExpDecay(100);")]
    [InlineData("return new TauEmaParams(tau: 2000);")]
    [InlineData("return new PowerEmaParams(sigmaRel: 0.28);")]
    [InlineData("return new ExpEmaParams { Beta = double.MaxValue };")]
    public async Task Schedule_parameters_inside_their_range_report_nothing(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Fact]
    public async Task A_user_schedule_range_applies_to_its_record()
    {
        var test = new Test("""
            using App;
            class C
            {
                object A() => new WarmEmaParams(warmupSteps: 0);
                object B() => new WarmEmaParams { WarmupSteps = 5000 };
                object Fine() => new WarmEmaParams(0.99, 10);
            }
            """);
        test.TestState.Sources.Add(Sources.WarmSchedule);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0005").WithSpan(4, 50, 4, 51)
            .WithArguments("warmupSteps", "0", "in the interval [1, 1000]", "warmupSteps", "schedule 'warm', App.WarmDecay (TestProject)"));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0005").WithSpan(5, 53, 5, 57)
            .WithArguments("WarmupSteps", "5000", "in the interval [1, 1000]", "warmupSteps", "schedule 'warm', App.WarmDecay (TestProject)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_typed_string_range_is_read_with_the_invariant_culture()
    {
        var test = new Test("""
            using System.ComponentModel.DataAnnotations;
            using Ema;
            [DecaySchedule("floor")]
            public sealed class FloorDecay([Range(typeof(double), "0.5", "1E3")] double floor = 1) : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay;
            }
            class C { object A() => new FloorDecay(0.25); object Fine() => new FloorDecay(2.5); }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0005").WithSpan(8, 40, 8, 44)
            .WithArguments("floor", "0.25", "in the interval [0.5, 1000]", "floor", "FloorDecay"));
        await test.RunAsync();
    }

    [Fact]
    public async Task The_beta_message_says_it_must_be_positive()
    {
        var test = new Test("""
            using Ema;
            class C { object M() => new ExpEmaParams(beta: 0); }
            """);
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0005").WithSpan(2, 48, 2, 49)
            .WithArguments("beta", "0", "> 0", "beta", "schedule 'exp', Ema.ExpDecay (Ema.Runtime)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_project_without_Ema_Runtime_gets_no_diagnostics()
    {
        // A look-alike of Ema.Runtime's EmaParams (a "decay" constructor parameter, a Decay property) that the
        // analyzer would flag twice if it ran: only the gate, no Ema symbols without Ema.Runtime's IDecayFunction
        // and [DecaySchedule], keeps this project quiet.
        var test = new Test("""
            namespace Ema
            {
                public abstract record EmaParams
                {
                    protected EmaParams(double decay) => Decay = decay;
                    public double Decay { get; init; }
                }
            }
            sealed record Mine() : Ema.EmaParams(1.2);
            class C { object M() => new Mine() with { Decay = 1.5 }; }
            """);
        test.TestState.AdditionalReferences.Clear();
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        await test.RunAsync();
    }
}

/// <summary>Generated code is the generator's business: the analyzers skip it.</summary>
public sealed class GeneratedCodeTests
{
    [Fact]
    public async Task Generated_files_are_not_analyzed()
    {
        await Test.RunAsync("""
            // <auto-generated/>
            using Ema;
            class Generated { object M() => new ExpEmaParams(1.2, beta: 0); }
            """);
    }
}
