using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Ema.Analyzers.Lifecycle;
using Ema.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ema.Analyzers.Tests;

/// <summary>
/// The no-false-positive bar on the project's own prose: every C# snippet of README.md and docs/ (the diagnostics
/// pages excepted: they show the misuse on purpose) is compiled, with the names the snippets take as given
/// (model, optimizer, ema, device, ...) declared once in a prelude, and must draw none of EMA0007 to EMA0009 or
/// an inline-JSON diagnostic. (The samples and benchmarks build with the analyzers and warnings as errors.)
/// </summary>
public sealed class DocumentationCorpusTests
{
    private const string Prelude = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using Ema;
        global using TorchSharp;
        global using static TorchSharp.torch;
        global using static Given;
        public static class Given
        {
            public static nn.Module<Tensor, Tensor> model = null!, student = null!, teacher = null!, net = null!;
            public static optim.Optimizer optimizer = null!;
            public static ModelEma ema = null!;
            public static EmaParams p = null!;
            public static Device device = null!;
            public static long totalSteps, step;
            public static Tensor input = null!, target = null!, weakView = null!, strongView = null!;
            public static IEnumerable<Tensor> batches = null!;
            public static void Validate(nn.Module m) { }
        }
        """;

    /// <summary>The docs' running example of a custom schedule, for the snippets that use it without declaring it.</summary>
    private const string LinearSchedule = """
        namespace Docs
        {
            [Ema.DecaySchedule("linear")]
            public sealed class LinearDecay : Ema.IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => decay * step / totalSteps;
            }
        }
        """;

    private static readonly Regex s_snippet = new("```csharp\\r?\\n(.*?)```", RegexOptions.Singleline | RegexOptions.Compiled);

    private static readonly ImmutableArray<DiagnosticAnalyzer> s_analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(
        new EmaWeightsScopeAnalyzer(), new ModelMovedAfterEmaAnalyzer(), new StepInsideEmaScopeAnalyzer(), new JsonConfigAnalyzer());

    public static TheoryData<string> Pages()
    {
        string root = RepositoryRoot.Find();
        var pages = new TheoryData<string> { "README.md" };
        foreach (string page in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            pages.Add(Path.GetRelativePath(root, page));
        }

        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_snippet_is_silent(string page)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), page));
        foreach (Match match in s_snippet.Matches(text))
        {
            ImmutableArray<Diagnostic> found = await AnalyzeAsync(match.Groups[1].Value);
            Assert.True(found.IsEmpty, page + ": " + string.Join("; ", found) + "\n" + match.Groups[1].Value);
        }
    }

    [Fact]
    public async Task The_harness_sees_misuse_in_a_snippet()
    {
        // The prelude binds the snippets' names, so a snippet with the misuse is reported: the silence above is real.
        ImmutableArray<Diagnostic> found = await AnalyzeAsync("""
            ema.UseEmaWeights();
            using var ema2 = new ModelEma(model, p);
            model.cuda();
            using (ema.UseEmaWeights()) { optimizer.step(); }
            var q = DecaySchedules.FromJson("{\"decay\": 1.2}");
            """);
        Assert.Equal(new[] { "EMA0001", "EMA0007", "EMA0008", "EMA0009" }, found.Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal));
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string snippet)
    {
        CSharpParseOptions options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(Prelude, options, "Prelude.cs"), CSharpSyntaxTree.ParseText(snippet, options, "Snippet.cs") };
        if (!snippet.Contains("[DecaySchedule(\"linear\")]", StringComparison.Ordinal))
        {
            trees.Add(CSharpSyntaxTree.ParseText(LinearSchedule, options, "Linear.cs"));
        }

        CSharpCompilation compilation = CSharpCompilation.Create(
            "Snippet",
            trees,
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return await compilation.WithAnalyzers(s_analyzers).GetAnalyzerDiagnosticsAsync();
    }
}
