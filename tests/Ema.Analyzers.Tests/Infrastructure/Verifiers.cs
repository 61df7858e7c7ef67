using Ema.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Ema.Analyzers.Tests.Infrastructure;

/// <summary>An analyzer test against .NET 10 and Ema.Runtime, with optional JSON additional files.</summary>
internal sealed class AnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public AnalyzerTest(string source, params (string Path, string Text)[] additionalFiles)
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
        TestCode = source;
        foreach ((string path, string text) in additionalFiles)
        {
            TestState.AdditionalFiles.Add((path, text));
        }
    }

    public static Task RunAsync(string source, params (string Path, string Text)[] additionalFiles) =>
        new AnalyzerTest<TAnalyzer>(source, additionalFiles).RunAsync();

    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Error);
}

/// <summary>A code fix test of <see cref="ReplaceWithSuggestionCodeFixProvider"/>.</summary>
internal sealed class FixTest<TAnalyzer> : CSharpCodeFixTest<TAnalyzer, ReplaceWithSuggestionCodeFixProvider, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public FixTest()
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
        FixedState.AdditionalReferences.AddRange(TestReferences.All);
    }
}

/// <summary>A code fix test of any Ema code fix.</summary>
internal sealed class FixTest<TAnalyzer, TFix> : CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
{
    public FixTest()
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
        FixedState.AdditionalReferences.AddRange(TestReferences.All);
    }
}

/// <summary>Shared test sources.</summary>
internal static class Sources
{
    /// <summary>A user schedule "warm" with a [Range] parameter and the record the generator would emit for it.</summary>
    public const string WarmSchedule = """
        namespace App
        {
            using System.ComponentModel.DataAnnotations;
            using Ema;

            [DecaySchedule("warm")]
            public sealed class WarmDecay([Range(1, 1000)] int warmupSteps = 100) : IDecayFunction
            {
                public double Compute(double decay, long step, long totalSteps) => step < warmupSteps ? 0 : decay;
            }

            public sealed record WarmEmaParams : EmaParams
            {
                public WarmEmaParams(double decay = 0.9999, int warmupSteps = 100) : base(decay) => WarmupSteps = warmupSteps;
                public int WarmupSteps { get; init; }
                public override string DecayType => "warm";
                protected override void WriteScheduleParameters(System.Text.Json.Utf8JsonWriter writer) => writer.WriteNumber("warmup_steps", WarmupSteps);
                protected override IDecayFunction CreateSchedule() => new WarmDecay(WarmupSteps);
            }
        }
        """;
}
