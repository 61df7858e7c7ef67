using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.Lifecycle.ModelMovedAfterEmaAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>EMA0008: the module given to new ModelEma is moved or converted later in the same method while the EMA is alive.</summary>
public sealed class ModelMovedAfterEmaTests
{
    private static string InMethod(string body) => $$"""
        using System;
        using Ema;
        using TorchSharp;
        using static TorchSharp.torch;
        class C
        {
            private nn.Module _net = nn.Linear(2, 2);
            static void Train() { }
            void M(nn.Module model, nn.Module other, Device device, EmaParams p)
            {
                {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("var ema = new ModelEma(model, p); {|EMA0008:model.to(device)|}; ema.Update(1, 10);")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.cuda()|};")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.cpu()|};")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.half()|};")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.bfloat16()|};")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.@float()|};")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.@double()|};")]
    [InlineData("using var ema = new ModelEma(model, p); {|EMA0008:model.to(ScalarType.Float16)|};")]
    [InlineData("using var ema = new ModelEma(model, p); model = {|EMA0008:model.to(device)|};")]
    [InlineData("using var ema = new ModelEma(_net, p); {|EMA0008:_net.to(device)|};")]
    [InlineData("using var ema = new ModelEma(this._net, p); {|EMA0008:this._net.cuda()|};")]
    [InlineData("using (var ema = new ModelEma(model, p)) { for (int i = 0; i < 3; i++) { Train(); {|EMA0008:model.to(device)|}; } }")]
    [InlineData("var ema = new ModelEma(model, p); if (device.type == DeviceType.CUDA) { {|EMA0008:model.cuda()|}; }")]
    public async Task Moves_after_the_EMA_are_reported(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Theory]
    [InlineData("model.to(device); using var ema = new ModelEma(model, p); Train();")]
    [InlineData("model = model.to(device).half(); using var ema = new ModelEma(model, p);")]
    [InlineData("using var ema = new ModelEma(model, p); other.to(device);")]
    [InlineData("using (var ema = new ModelEma(model, p)) { Train(); } model.cpu();")]
    [InlineData("using (new ModelEma(model, p)) { Train(); } model.cpu();")]
    [InlineData("{ using var ema = new ModelEma(model, p); Train(); } model.cpu();")]
    [InlineData("var ema = new ModelEma(model, p); Train(); ema.Dispose(); model.cpu();")]
    [InlineData("var ema = new ModelEma(model, p); model = nn.Linear(2, 2); model.to(device);")]
    [InlineData("var ema = new ModelEma(model, p); Action later = () => model.cpu(); later();")]
    [InlineData("Action make = () => { using var ema = new ModelEma(model, p); }; model.cpu(); make();")]
    [InlineData("for (int i = 0; i < 3; i++) { model.to(device); using var ema = new ModelEma(model, p); Train(); }")]
    [InlineData("using var ema = new ModelEma(model, p); using var x = torch.ones(2); x.to(device); x.cpu(); x.half();")]
    public async Task Moves_before_the_EMA_after_its_end_or_of_other_modules_are_silent(string body)
    {
        await Test.RunAsync(InMethod(body));
    }

    [Fact]
    public async Task A_move_in_top_level_statements_is_reported()
    {
        var test = new Test("""
            using Ema;
            using TorchSharp;
            using static TorchSharp.torch;
            var model = nn.Linear(2, 2);
            using var ema = new ModelEma(model, new ExpEmaParams());
            {|EMA0008:model.cuda()|};
            """);
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        await test.RunAsync();
    }

    [Fact]
    public async Task The_message_names_the_module_the_move_and_the_line_of_the_EMA()
    {
        var test = new Test(InMethod("using var ema = new ModelEma(model, p);\n        model.cuda();"));
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult(DiagnosticDescriptors.ModelMovedAfterEma)
            .WithSpan(12, 9, 12, 21)
            .WithArguments("model", "cuda", 11));
        await test.RunAsync();
    }
}
