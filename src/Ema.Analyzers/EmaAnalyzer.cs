using Microsoft.CodeAnalysis.Diagnostics;

namespace Ema.Analyzers;

/// <summary>
/// The start every Ema analyzer shares: concurrent, no generated code, and nothing at all in a compilation that
/// does not reference the Ema runtime; the well-known symbols are resolved once per compilation, for all of them.
/// </summary>
public abstract class EmaAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (EmaSymbols.For(start.Compilation) is { } symbols)
            {
                Register(start, symbols);
            }
        });
    }

    /// <summary>Registers the analyzer's actions for a compilation that references the Ema runtime.</summary>
    private protected abstract void Register(CompilationStartAnalysisContext start, EmaSymbols symbols);
}
