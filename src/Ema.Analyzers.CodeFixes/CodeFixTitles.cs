namespace Ema.Analyzers.CodeFixes;

/// <summary>Titles of the Ema code fixes.</summary>
internal static class CodeFixTitles
{
    public const string UseDefaultDecay = "Use SuperGradients' default decay 0.9999";

    public const string UseKnownSchedule = "Use the schedule {0}";

    public const string UseKnownKey = "Use the key {0}";

    public const string DisposeEmaWeights = "Dispose the scope at the end of the block (using var)";
}
