using Ema.Analyzers.CodeFixes;
using Ema.Analyzers.Lifecycle;
using Ema.Analyzers.Tests.Infrastructure;

namespace Ema.Analyzers.Tests;

/// <summary>The EMA0007 fix: the statement that drops the scope becomes a using declaration.</summary>
public sealed class UsingForEmaWeightsFixTests
{
    private static string InMethod(string body) => $$"""
        using System;
        using Ema;
        class C
        {
            static void Validate() { }
            void M(ModelEma ema, ModelEma? maybe, int emaWeights)
            {
                {{body}}
                Validate();
            }
        }
        """;

    [Theory]
    [InlineData("{|EMA0007:ema.UseEmaWeights()|};", "using var emaWeights2 = ema.UseEmaWeights();")]
    [InlineData("_ = {|EMA0007:ema.UseEmaWeights()|};", "using var emaWeights2 = ema.UseEmaWeights();")]
    [InlineData("maybe?{|EMA0007:.UseEmaWeights()|};", "using var emaWeights2 = maybe?.UseEmaWeights();")]
    [InlineData("var scope = {|EMA0007:ema.UseEmaWeights()|};", "using var scope = ema.UseEmaWeights();")]
    [InlineData("IDisposable scope = {|EMA0007:ema.UseEmaWeights()|};", "using IDisposable scope = ema.UseEmaWeights();")]
    public async Task The_scope_becomes_a_using_declaration(string body, string fixedBody)
    {
        await new FixTest<EmaWeightsScopeAnalyzer, UsingForEmaWeightsCodeFixProvider> { TestCode = InMethod(body), FixedCode = InMethod(fixedBody) }.RunAsync();
    }

    [Theory]
    [InlineData("object scope = {|EMA0007:ema.UseEmaWeights()|};")]
    [InlineData("switch (emaWeights) { case 1: {|EMA0007:ema.UseEmaWeights()|}; break; }")]
    [InlineData("if (emaWeights > 0) {|EMA0007:ema.UseEmaWeights()|};")]
    public async Task No_fix_where_a_using_declaration_would_not_compile(string body)
    {
        await new FixTest<EmaWeightsScopeAnalyzer, UsingForEmaWeightsCodeFixProvider> { TestCode = InMethod(body), FixedCode = InMethod(body) }.RunAsync();
    }
}
