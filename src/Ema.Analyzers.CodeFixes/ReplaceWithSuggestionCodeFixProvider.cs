using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers.CodeFixes;

/// <summary>
/// Fixes EMA0001 (use 0.9999), EMA0002 (use the closest schedule name) and EMA0006 (use the closest key),
/// in C# and in JSON additional files alike. The analyzers put the exact replacement text for the
/// diagnostic's span into the diagnostic (C# literal or JSON string), so the fix is one text change and
/// needs no knowledge of either language; a diagnostic without a suggestion gets no fix.
/// </summary>
[ExportCodeFixProvider(
    LanguageNames.CSharp,
    Name = nameof(ReplaceWithSuggestionCodeFixProvider),
    DocumentKinds = new[] { nameof(TextDocumentKind.Document), nameof(TextDocumentKind.AdditionalDocument) }),
 Shared]
public sealed class ReplaceWithSuggestionCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.DecayOutOfRange.Id,
        DiagnosticDescriptors.UnknownSchedule.Id,
        DiagnosticDescriptors.UnknownKey.Id);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.ReplacementProperty, out string? replacement) || replacement is null)
            {
                continue;
            }

            string title = Title(diagnostic.Id, replacement);
            TextDocument document = context.TextDocument;
            TextSpan span = diagnostic.Location.SourceSpan;
            context.RegisterCodeFix(
                CodeAction.Create(title, token => ReplaceAsync(document, span, replacement, token), equivalenceKey: diagnostic.Id),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static string Title(string id, string replacement)
    {
        if (id == DiagnosticDescriptors.DecayOutOfRange.Id)
        {
            return CodeFixTitles.UseDefaultDecay;
        }

        string format = id == DiagnosticDescriptors.UnknownSchedule.Id ? CodeFixTitles.UseKnownSchedule : CodeFixTitles.UseKnownKey;
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, replacement);
    }

    private static async Task<Solution> ReplaceAsync(TextDocument document, TextSpan span, string replacement, CancellationToken cancellationToken)
    {
        SourceText text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        SourceText changed = text.WithChanges(new TextChange(span, replacement));
        Solution solution = document.Project.Solution;
        return document is Document
            ? solution.WithDocumentText(document.Id, changed)
            : solution.WithAdditionalDocumentText(document.Id, changed);
    }
}
