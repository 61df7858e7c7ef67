using Ema.Analyzers.Lifecycle;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.Lifecycle.EmaWeightsScopeAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0007: the scope UseEmaWeights() returns is discarded or never disposed; silent wherever it is disposed or handed on.</summary>
public sealed class ScopeNotDisposedTests
{
    private static string InMethod(string body) => $$"""
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Ema;
        class C
        {
            static void Validate() { }
            void M(ModelEma ema, ModelEma? maybe, bool flag)
            {
                {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("{|EMA0007:ema.UseEmaWeights()|};")]
    [InlineData("_ = {|EMA0007:ema.UseEmaWeights()|};")]
    [InlineData("var scope = {|EMA0007:ema.UseEmaWeights()|}; Validate();")]
    [InlineData("IDisposable scope; scope = {|EMA0007:ema.UseEmaWeights()|}; Validate();")]
    [InlineData("var scope = flag ? {|EMA0007:ema.UseEmaWeights()|} : null; Validate();")]
    [InlineData("maybe?{|EMA0007:.UseEmaWeights()|};")]
    [InlineData("for (int i = 0; i < 3; i++) { {|EMA0007:ema.UseEmaWeights()|}; Validate(); }")]
    [InlineData("Action a = () => { var s = {|EMA0007:ema.UseEmaWeights()|}; Validate(); }; a();")]
    [InlineData("void Local() { {|EMA0007:ema.UseEmaWeights()|}; } Local();")]
    public async Task Discarded_or_never_disposed_scopes_are_reported(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Theory]
    [InlineData("using (ema.UseEmaWeights()) { Validate(); }")]
    [InlineData("using (var scope = ema.UseEmaWeights()) { Validate(); }")]
    [InlineData("using var scope = ema.UseEmaWeights(); Validate();")]
    [InlineData("using (maybe?.UseEmaWeights()) { Validate(); }")]
    [InlineData("var scope = ema.UseEmaWeights(); try { Validate(); } finally { scope.Dispose(); }")]
    [InlineData("IDisposable? scope = null; try { scope = ema.UseEmaWeights(); Validate(); } finally { scope?.Dispose(); }")]
    [InlineData("var scope = ema.UseEmaWeights(); Validate(); scope.Dispose();")]
    [InlineData("ema.UseEmaWeights().Dispose();")]
    [InlineData("var scope = ema.UseEmaWeights(); using (scope) { Validate(); }")]
    [InlineData("var scopes = new List<IDisposable> { ema.UseEmaWeights() }; scopes.ForEach(s => s.Dispose());")]
    [InlineData("var scopes = new List<IDisposable>(); scopes.Add(ema.UseEmaWeights()); scopes[0].Dispose();")]
    [InlineData("IDisposable? scope = null; Action enter = () => scope = ema.UseEmaWeights(); enter(); scope?.Dispose();")]
    [InlineData("Func<IDisposable> f = () => ema.UseEmaWeights(); using (f()) { }")]
    [InlineData("Func<IDisposable> f = ema.UseEmaWeights; using (f()) { }")]
    [InlineData("async Task Run() { using (ema.UseEmaWeights()) { await Task.Yield(); } } Run().Wait();")]
    public async Task Disposed_scopes_are_silent(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Fact]
    public async Task Scopes_handed_to_a_caller_or_held_by_a_field_are_silent()
    {
        await Test.RunAsync("""
            using System;
            using Ema;
            sealed class ValidationWindow : IDisposable
            {
                private readonly IDisposable _scope;
                public ValidationWindow(ModelEma ema) => _scope = ema.UseEmaWeights();
                public void Dispose() => _scope.Dispose();
            }
            class Callbacks
            {
                private IDisposable? _scope;
                public IDisposable? Scope { get; set; }
                public void OnValidationStart(ModelEma ema) { _scope = ema.UseEmaWeights(); Scope = ema.UseEmaWeights(); }
                public void OnValidationEnd() { _scope?.Dispose(); Scope?.Dispose(); }
                public static IDisposable Open(ModelEma ema) => ema.UseEmaWeights();
                public static IDisposable OpenBlock(ModelEma ema) { var scope = ema.UseEmaWeights(); return scope; }
                public static void Keep(Action<IDisposable> sink, ModelEma ema) => sink(ema.UseEmaWeights());
                public static (IDisposable, int) Pair(ModelEma ema) => (ema.UseEmaWeights(), 1);
            }
            """);
    }

    [Fact]
    public async Task The_message_says_what_is_wrong()
    {
        var test = new Test(InMethod("var held = ema.UseEmaWeights();"));
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult(DiagnosticDescriptors.ScopeNotDisposed)
            .WithSpan(10, 20, 10, 39)
            .WithArguments("ema.UseEmaWeights()", "kept in 'held', which is never disposed"));
        await test.RunAsync();
    }
}
