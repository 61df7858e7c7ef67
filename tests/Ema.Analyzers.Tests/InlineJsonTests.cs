using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.JsonConfigAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>JSON in string constants passed to DecaySchedules.FromJson and TrainingParams.FromJson: the file checks, inside the literal.</summary>
public sealed class InlineJsonTests
{
    private static string InMethod(string body) => $$"""
        using Ema;
        class C
        {
            const string Schedule = "exp";
            const string BadDecay = "1.2";
            const string Json = "{\"decay\": 1.2}";
            object M(string fromUser)
            {
                {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("return DecaySchedules.FromJson(\"{\\\"decay\\\": {|EMA0001:1.2|}}\");")]
    [InlineData("return DecaySchedules.FromJson(\"{\\\"decay\\\": {|EMA0001:\\u0031.2|}, \\\"decay_type\\\": {|EMA0002:\\\"expo\\\"|}}\");")]
    [InlineData("return DecaySchedules.FromJson(\"{\\t\\\"decay_type\\\": \\\"exp\\\", \\\"beta\\\": {|EMA0005:-1|}, {|EMA0006:\\\"betta\\\"|}: 2}\");")]
    [InlineData("return DecaySchedules.FromJson(@\"{\"\"decay\"\": {|EMA0001:1.2|}, \"\"decay_type\"\": {|EMA0002:\"\"expo\"\"|}}\");")]
    [InlineData("return DecaySchedules.FromJson(\"\"\"{\"decay\": {|EMA0001:1.2|}, \"decay_type\": {|EMA0002:\"expo\"|}}\"\"\");")]
    [InlineData("return DecaySchedules.FromJson(json: (\"\"\"{\"decay\": {|EMA0001:1.2|}}\"\"\"), logger: null);")]
    [InlineData("return TrainingParams.FromJson(\"\"\"{\"max_epochs\": 2, \"ema_params\": {\"decay\": {|EMA0001:1.2|}}}\"\"\");")]
    [InlineData("return DecaySchedules.FromJson($\"{{\\\"decay\\\": {|EMA0001:1.2|}, \\\"decay_type\\\": \\\"{Schedule}\\\"}}\");")]
    [InlineData("return DecaySchedules.FromJson($\"{{\\\"decay\\\": {|EMA0001:{BadDecay}|}}}\");")]
    [InlineData("return DecaySchedules.FromJson($@\"{{\"\"decay\"\": {|EMA0001:1.2|}, \"\"decay_type\"\": \"\"{Schedule}\"\"}}\");")]
    [InlineData("return DecaySchedules.FromJson({|EMA0001:Json|});")]
    [InlineData("return DecaySchedules.FromJson({|EMA0001:\"{\\\"decay\\\": \" + \"1.2}\"|});")]
    public async Task Constants_are_checked_at_the_position_inside_the_literal(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Fact]
    public async Task A_multi_line_raw_string_maps_past_its_indentation()
    {
        await Test.RunAsync(InMethod("""
            return DecaySchedules.FromJson(
                        ""\"
                        {
                          "decay": {|EMA0001:1.2|},
                            "decay_type": {|EMA0002:"expo"|}
                        }
                        ""\");
            """.Replace("\"\"\\\"", "\"\"\"")));
    }

    [Fact]
    public async Task A_multi_line_interpolated_raw_string_is_checked()
    {
        // "$$" is the testing library's caret markup, so this source is given without markup.
        string code = InMethod("""
            return DecaySchedules.FromJson(
                        $$""\"
                        {
                          "decay": 1.2,
                          "decay_type": "{{Schedule}}"
                        }
                        ""\");
            """.Replace("\"\"\\\"", "\"\"\""));
        var test = new Test(code);
        test.TestState.MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.None;
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan(12, 24, 12, 27)
            .WithArguments("1.2", "\"decay\" in ema_params, read into Ema.EmaParams.Decay"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("return DecaySchedules.FromJson(\"\"\"{\"decay\": 0.999, \"decay_type\": \"exp\", \"beta\": 10}\"\"\");")]
    [InlineData("return DecaySchedules.FromJson(fromUser);")]
    [InlineData("return DecaySchedules.FromJson(\"{\\\"decay\\\": 1.2\");")]
    [InlineData("return TrainingParams.FromJson(\"\"\"{\"decay\": 1.2, \"ema_params\": {\"decay\": 0.99}}\"\"\");")]
    [InlineData("return System.Text.Json.JsonDocument.Parse(\"\"\"{\"decay\": 1.2}\"\"\");")]
    public async Task Valid_non_constant_malformed_or_unrelated_strings_report_nothing(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Fact]
    public async Task The_diagnostic_reads_like_the_file_one()
    {
        var test = new Test(InMethod("return DecaySchedules.FromJson(\"\"\"{\"decay\": 1.2}\"\"\");"));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan(9, 53, 9, 56)
            .WithArguments("1.2", "\"decay\" in ema_params, read into Ema.EmaParams.Decay"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData(
        "DecaySchedules.FromJson(\"{\\\"decay\\\": {|EMA0001:1.2|}, \\\"decay_type\\\": {|EMA0002:\\\"constnat\\\"|}, {|EMA0006:\\\"betta\\\"|}: 3}\")",
        "DecaySchedules.FromJson(\"{\\\"decay\\\": 0.9999, \\\"decay_type\\\": \\\"constant\\\", \\\"beta\\\": 3}\")")]
    [InlineData(
        "DecaySchedules.FromJson(@\"{\"\"decay_type\"\": {|EMA0002:\"\"constnat\"\"|}}\")",
        "DecaySchedules.FromJson(@\"{\"\"decay_type\"\": \"\"constant\"\"}\")")]
    [InlineData(
        "DecaySchedules.FromJson(\"\"\"{\"decay\": {|EMA0001:1.2|}, \"decay_type\": {|EMA0002:\"constnat\"|}}\"\"\")",
        "DecaySchedules.FromJson(\"\"\"{\"decay\": 0.9999, \"decay_type\": \"constant\"}\"\"\")")]
    public async Task The_fixes_work_inside_the_literal(string call, string fixedCall)
    {
        var test = new FixTest<JsonConfigAnalyzer>
        {
            TestCode = "using Ema; class C { object M() => " + call + "; }",
            FixedCode = "using Ema; class C { object M() => " + fixedCall + "; }",
        };
        // Each id is its own fix-all group (equivalence key), as for C# and JSON files; the one-by-one fixes are what this checks.
        test.CodeFixTestBehaviors = Microsoft.CodeAnalysis.Testing.CodeFixTestBehaviors.SkipFixAllCheck;
        await test.RunAsync();
    }

    [Fact]
    public async Task A_value_from_an_interpolation_is_reported_at_the_hole_without_a_fix()
    {
        const string code = "using Ema; class C { const string D = \"1.2\"; object M() => DecaySchedules.FromJson($\"{{\\\"decay\\\": {|EMA0001:{D}|}}}\"); }";
        var test = new FixTest<JsonConfigAnalyzer> { TestCode = code, FixedCode = code };
        await test.RunAsync();
    }
}
