using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Analyzers.Tests;

/// <summary>The well-known symbols are resolved once per compilation and shared by every analyzer.</summary>
public sealed class EmaSymbolsTests
{
    private static CSharpCompilation Compile(IEnumerable<MetadataReference> references) =>
        CSharpCompilation.Create("App", new[] { CSharpSyntaxTree.ParseText("class C { }") }, references);

    [Fact]
    public async Task Every_caller_of_one_compilation_gets_the_same_symbols_even_at_once()
    {
        CSharpCompilation compilation = Compile(TestReferences.All);
        using var start = new ManualResetEventSlim();
        Task<EmaSymbols?>[] callers = Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() =>
            {
                start.Wait();
                return EmaSymbols.For(compilation);
            }))
            .ToArray();
        start.Set();
        EmaSymbols?[] results = await Task.WhenAll(callers);

        EmaSymbols? first = results[0];
        Assert.NotNull(first);
        Assert.All(results, r => Assert.Same(first, r));
        Assert.Same(first, EmaSymbols.For(compilation));
    }

    [Fact]
    public void Another_compilation_gets_its_own_symbols()
    {
        CSharpCompilation compilation = Compile(TestReferences.All);
        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class D { }"));

        EmaSymbols? before = EmaSymbols.For(compilation);
        EmaSymbols? after = EmaSymbols.For(edited);

        // An edit makes a new compilation: symbols cached for the old one must not leak into it.
        Assert.NotNull(after);
        Assert.NotSame(before, after);
    }

    [Fact]
    public void A_compilation_without_Ema_Runtime_has_none_and_keeps_having_none()
    {
        CSharpCompilation compilation = Compile(Basic.Reference.Assemblies.Net100.References.All);

        Assert.Null(EmaSymbols.For(compilation));
        Assert.Null(EmaSymbols.For(compilation));
    }

    [Fact]
    public void The_decay_rule_is_read_from_the_Range_on_EmaParams_Decay_and_agrees_with_the_runtime_check()
    {
        EmaSymbols symbols = EmaSymbols.For(Compile(TestReferences.All))!;

        Shared.Roslyn.RangeData range = Assert.IsType<Shared.Roslyn.RangeData>(symbols.DecayRange);
        Assert.Equal((0.0, 1.0, true, true), (range.Minimum, range.Maximum, range.MinimumIsExclusive, range.MaximumIsExclusive));
        foreach (double decay in new[] { -1, 0, double.Epsilon, 0.5, 0.9999, 1 - 1e-16, 1, 1.2, double.NaN })
        {
            bool accepted = true;
            try
            {
                _ = new ExpEmaParams(decay: decay);
            }
            catch (ArgumentOutOfRangeException)
            {
                accepted = false;
            }

            Assert.True(range.Contains(decay) == accepted, $"decay {decay}: analyzer {range.Contains(decay)}, runtime {accepted}");
        }
    }
}
