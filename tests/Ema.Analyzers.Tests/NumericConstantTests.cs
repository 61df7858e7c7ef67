using Ema.Analyzers.Schedules;
using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers.Tests;

/// <summary>
/// The first test DecayValueAnalyzer makes of every argument and assignment: only numeric constants go on to the
/// name and type checks, and their text in messages is the one the user wrote.
/// </summary>
public sealed class NumericConstantTests
{
    /// <summary>The operation passed as the (outermost) argument of one of the Take methods.</summary>
    private static IOperation Argument(string call)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText($$"""
            class C
            {
                const float F = 1.2f;
                static void Take(object value) { }
                static void TakeDouble(double value) { }
                static void TakeFloat(float value) { }
                static void TakeLong(long value) { }
                static void M(double variable) { {{call}}; }
            }
            """);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "App", new[] { tree }, TestReferences.All, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        ArgumentSyntax argument = tree.GetRoot().DescendantNodes().OfType<ArgumentSyntax>().First();
        var operation = (IArgumentOperation)compilation.GetSemanticModel(tree).GetOperation(argument)!;
        return operation.Value;
    }

    [Theory]
    [InlineData("TakeDouble(variable)")]
    [InlineData("TakeDouble(System.Math.Min(1.5, 0.9))")]
    [InlineData("Take(\"1.2\")")]
    [InlineData("Take(true)")]
    [InlineData("Take('x')")]
    [InlineData("Take(null)")]
    public void Anything_but_a_numeric_constant_is_not_read(string call)
    {
        Assert.Null(NumericConstant.Read(Argument(call)));
    }

    [Theory]
    [InlineData("TakeDouble(1.2f)", 1.2f, "1.2")]
    [InlineData("TakeDouble(F)", 1.2f, "1.2")]
    [InlineData("TakeFloat(1.2f)", 1.2f, "1.2")]
    [InlineData("TakeFloat(16777217)", 16777216.0, "16777216")]
    [InlineData("TakeDouble((double)1.2f)", 1.2f, "1.2000000476837158")]
    [InlineData("TakeDouble(1 + 0.2)", 1 + 0.2, "1.2")]
    [InlineData("TakeDouble(-5)", -5.0, "-5")]
    [InlineData("TakeLong(3)", 3.0, "3")]
    public void A_numeric_constant_keeps_its_value_and_the_text_of_its_own_type(string call, double value, string text)
    {
        NumericConstant? constant = NumericConstant.Read(Argument(call));

        Assert.NotNull(constant);
        Assert.Equal(value, constant.Value.Value);
        Assert.Equal(text, constant.Value.Text);
    }
}
