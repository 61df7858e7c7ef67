namespace Ema.Analyzers.CodeFixes;

/// <summary>Titles of the Ema code fixes (filled by the Analyzers issue).</summary>
internal static class CodeFixTitles
{
    public const string UseDefaultDecay = "Use SuperGradients' default decay 0.9999";
}
