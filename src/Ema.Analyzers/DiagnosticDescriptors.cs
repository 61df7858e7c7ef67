namespace Ema.Analyzers;

/// <summary>The Ema diagnostics EMA0001 to EMA0006 (filled by the Analyzers issue).</summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "Ema";
}
