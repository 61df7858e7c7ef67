using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.JsonConfigAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0001, EMA0002, EMA0005 and EMA0006 in JSON config files given as AdditionalFiles.</summary>
public sealed class JsonConfigAnalyzerTests
{
    private const string Code = "class C { }";

    private static Task RunJson(string json, string path = "train.json") => Test.RunAsync(Code, (path, json));

    [Fact]
    public async Task A_decay_outside_the_open_interval_is_an_error_at_the_value()
    {
        var test = new Test(Code, ("train.json", """
            {
              "max_epochs": 10,
              "ema": true,
              "ema_params": {"decay": 1.2, "decay_type": "exp", "beta": 15}
            }
            """));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan("train.json", 4, 27, 4, 30)
            .WithArguments("1.2", "\"decay\" in ema_params, read into Ema.EmaParams.Decay"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("""{"ema_params": {"decay": {|EMA0001:1|}}}""")]
    [InlineData("""{"ema_params": {"decay": {|EMA0001:0|}}}""")]
    [InlineData("""{"ema_params": {"decay": {|EMA0001:-0.5|}}}""")]
    [InlineData("""{"ema_params": {"decay": {|EMA0001:1e0|}}}""")]
    [InlineData("""{"ema_params": {"decay": {|EMA0001:99.99|}, "decay_type": "constant"}}""")]
    [InlineData("""{"decay_type": "threshold", "decay": {|EMA0001:1.0001|}}""")]
    [InlineData("""{"training_params": {"ema_params": {"decay": {|EMA0001:2|}}}, "other": [{"ema_params": {"decay": {|EMA0001:3|}}}]}""")]
    [InlineData("// recipe\n{\"ema_params\": {/* c */ \"decay\": {|EMA0001:1.5|},},}")]
    public async Task Out_of_range_decays_are_found_in_every_config_shape(string json)
    {
        await RunJson(json);
    }

    [Theory]
    [InlineData("""{"ema_params": {"decay": 0.9999, "decay_type": "exp", "beta": 15}}""")]
    [InlineData("""{"ema": true, "ema_params": {}}""")]
    [InlineData("""{"ema_params": {"decay": 0.5, "decay_type": "threshold", "beta": 15}}""")]
    [InlineData("""{"ema_params": {"decay": "1.2"}}""")]
    [InlineData("""{"decay": 1.2, "beta": -1}""")]
    [InlineData("""{"ema_params": {"decay": 1.2""")]
    [InlineData("""{"ema_params": [1.2], "decay_type": 3}""")]
    [InlineData("""[{"decay": 5}]""")]
    public async Task Valid_unrelated_or_malformed_files_report_nothing(string json)
    {
        await RunJson(json);
    }

    [Fact]
    public async Task Files_that_are_not_json_are_not_read()
    {
        await RunJson("""{"ema_params": {"decay": 1.2}}""", "train.txt");
    }

    [Fact]
    public async Task An_unknown_decay_type_is_an_error_with_the_closest_name()
    {
        var test = new Test(Code, ("train.json", """{"ema_params": {"decay_type": "expo"}}"""));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0002").WithSpan("train.json", 1, 31, 1, 37)
            .WithArguments("expo", " (did you mean 'exp'?)", BuiltInSchedules.Listed(", "), "Ema.Runtime"));
        await test.RunAsync();
    }

    [Fact]
    public async Task An_unknown_key_is_a_warning_with_the_closest_key()
    {
        var test = new Test(Code, ("train.json", """{"ema_params": {"decay": 0.99, "betta": 15}}"""));
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult("EMA0006", DiagnosticSeverity.Warning)
            .WithSpan("train.json", 1, 32, 1, 39)
            .WithArguments("betta", " (did you mean 'beta'?)", "beta, bias_power, decay, decay_type, ema_power, half_life, inv_gamma, lag, min_decay, multiplier, power, sigma_rel, swa_start, tau, update_after, update_after_step", "Ema.Runtime"));
        await test.RunAsync();
    }

    [Fact]
    public async Task The_unknown_key_message_says_where_the_known_keys_come_from()
    {
        var test = new Test(Sources.WarmSchedule, ("train.json", """{"ema_params": {"decay_type": "warm", "warmup_step": 10}}"""));
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult("EMA0006", DiagnosticSeverity.Warning)
            .WithSpan("train.json", 1, 39, 1, 52)
            .WithMessage("Unknown key 'warmup_step' in ema_params (did you mean 'warmup_steps'?): no registered schedule takes it; " +
                "the known keys are beta, bias_power, decay, decay_type, ema_power, half_life, inv_gamma, lag, min_decay, multiplier, power, sigma_rel, swa_start, tau, update_after, update_after_step, warmup_steps " +
                "(decay, decay_type and the snake_case constructor parameters of the classes marked [DecaySchedule] in Ema.Runtime, TestProject)"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("""{"ema_params": {"decay_type": "exp", "beta": {|EMA0005:0|}}}""")]
    [InlineData("""{"ema_params": {"beta": {|EMA0005:-15|}}}""")]
    [InlineData("""{"ema_params": {"decay_type": "tau", "tau": {|EMA0005:0|}}}""")]
    [InlineData("""{"ema_params": {"decay_type": "power", "sigma_rel": {|EMA0005:0.3|}}}""")]
    [InlineData("""{"ema_params": {"decay_type": "warmup", "min_decay": {|EMA0005:1|}, "update_after_step": {|EMA0005:-1|}}}""")]
    [InlineData("""{"ema_params": {"decay": {|EMA0001:7|}, "beta": {|EMA0005:0|}, {|EMA0006:"alpha"|}: 1}}""")]
    public async Task A_schedule_parameter_outside_its_range_is_an_error(string json)
    {
        await RunJson(json);
    }

    [Fact]
    public async Task Keys_are_case_sensitive_as_FromJson_reads_them()
    {
        // Documented limit (EMA0006.md): FromConfiguration would accept "Beta", FromJson would not.
        await RunJson("""{"ema_params": {"decay_type": "exp", {|EMA0006:"Beta"|}: 15}}""");
    }

    [Fact]
    public async Task The_range_of_another_schedules_key_does_not_apply()
    {
        await RunJson("""{"ema_params": {"decay_type": "constant", "beta": -1}}""");
    }

    [Fact]
    public async Task A_user_schedule_in_the_compilation_counts_for_names_keys_and_ranges()
    {
        var test = new Test(Sources.WarmSchedule, ("train.json", """
            {"ema_params": {"decay_type": "warm", "warmup_steps": {|EMA0005:0|}}}
            """));
        await test.RunAsync();

        await Test.RunAsync(Sources.WarmSchedule, ("ok.json", """{"ema_params": {"decay_type": "warm", "warmup_steps": 10}}"""));
    }

    [Fact]
    public async Task Names_whose_records_collide_are_unknown_as_at_run_time()
    {
        // The generator emits neither schedule (EMA0003), so the registry knows neither name.
        const string schedules = """
            namespace App
            {
                [Ema.DecaySchedule("warm-cosine")] public sealed class A : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
                [Ema.DecaySchedule("warm_cosine")] public sealed class B : Ema.IDecayFunction { public double Compute(double decay, long step, long totalSteps) => decay; }
            }
            """;
        var test = new Test(schedules, ("train.json", """{"ema_params": {"decay_type": "warm_cosine"}}"""));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0002").WithSpan("train.json", 1, 31, 1, 44)
            .WithArguments("warm_cosine", string.Empty, BuiltInSchedules.Listed(", "), "Ema.Runtime"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Schedules_of_referenced_provider_assemblies_count_and_others_do_not()
    {
        MetadataReference provider = Library("Provider", "[assembly: Ema.__Internals.DecayScheduleProvider(typeof(Lib.Registry))]", "linear");
        MetadataReference notProvider = Library("Plain", string.Empty, "sigmoid");
        var test = new Test(Code, ("train.json", """
            [{"ema_params": {"decay_type": "linear", "slope": 2}}, {"ema_params": {"decay_type": {|EMA0002:"sigmoid"|}}}]
            """));
        test.TestState.AdditionalReferences.Add(provider);
        test.TestState.AdditionalReferences.Add(notProvider);
        await test.RunAsync();
    }

    private static MetadataReference Library(string assemblyName, string assemblyAttribute, string scheduleName)
    {
        string source = assemblyAttribute + $$"""

            namespace Lib
            {
                public static class Registry { public static void Register() { } }
                [Ema.DecaySchedule("{{scheduleName}}")]
                public sealed class Schedule(double slope = 1) : Ema.IDecayFunction
                {
                    public double Compute(double decay, long step, long totalSteps) => decay * slope;
                }
            }
            """;
        CSharpCompilation compilation = CSharpCompilation.Create(
            assemblyName,
            new[] { CSharpSyntaxTree.ParseText(source) },
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        using var image = new MemoryStream();
        Assert.True(compilation.Emit(image).Success);
        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
