using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.Lifecycle.StepInsideEmaScopeAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0009: an optimizer steps inside the scope of UseEmaWeights().</summary>
public sealed class StepInsideEmaScopeTests
{
    private static string InMethod(string body) => $$"""
        using System;
        using Ema;
        using TorchSharp;
        using static TorchSharp.torch;
        class C
        {
            static void Validate() { }
            void M(nn.Module model, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler scheduler, ModelEma ema, bool flag)
            {
                var sgd = optim.SGD(model.parameters(), 0.1);
                {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("using (ema.UseEmaWeights()) { Validate(); {|EMA0009:optimizer.step()|}; }")]
    [InlineData("using (var scope = ema.UseEmaWeights()) { if (flag) { {|EMA0009:sgd.step()|}; } }")]
    [InlineData("using var scope = ema.UseEmaWeights(); Validate(); {|EMA0009:optimizer.step()|};")]
    [InlineData("using var scope = ema.UseEmaWeights(); for (int i = 0; i < 2; i++) { {|EMA0009:optimizer.step()|}; }")]
    [InlineData("using (ema.UseEmaWeights()) using (var x = torch.ones(1)) { {|EMA0009:optimizer.step()|}; }")]
    public async Task Steps_in_the_scope_are_reported(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Theory]
    [InlineData("optimizer.step(); using (ema.UseEmaWeights()) { Validate(); } optimizer.step();")]
    [InlineData("{ using var scope = ema.UseEmaWeights(); Validate(); } optimizer.step();")]
    [InlineData("optimizer.step(); using var scope = ema.UseEmaWeights(); Validate();")]
    [InlineData("using (ema.UseEmaWeights()) { scheduler.step(); }")]
    [InlineData("using (ema.UseEmaWeights()) { Action later = () => optimizer.step(); }")]
    [InlineData("using (var x = torch.ones(1)) { optimizer.step(); }")]
    [InlineData("var scope = ema.UseEmaWeights(); scope.Dispose(); optimizer.step();")]
    public async Task Steps_outside_the_scope_and_scheduler_steps_are_silent(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Fact]
    public async Task The_message_names_the_optimizer_and_the_scope()
    {
        var test = new Test(InMethod("using (ema.UseEmaWeights()) { optimizer.step(); }"));
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult(DiagnosticDescriptors.StepInsideEmaScope)
            .WithSpan(11, 39, 11, 55)
            .WithArguments("optimizer", "ema.UseEmaWeights()"));
        await test.RunAsync();
    }
}
