using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Ema.Analyzers.CodeFixes;

/// <summary>
/// Fixes EMA0007 by making the statement that drops the scope a using declaration: <c>ema.UseEmaWeights();</c> and
/// <c>_ = ema.UseEmaWeights();</c> become <c>using var emaWeights = ema.UseEmaWeights();</c>, and
/// <c>var scope = ema.UseEmaWeights();</c> becomes <c>using var scope = ...</c>. The scope then ends with the
/// block, where the model gets its own weights back. Offered only where a using declaration compiles (a statement
/// of a block or a top-level statement, one variable of a disposable type).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UsingForEmaWeightsCodeFixProvider)), Shared]
public sealed class UsingForEmaWeightsCodeFixProvider : CodeFixProvider
{
    private const string ScopeName = "emaWeights";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.ScopeNotDisposed.Id);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node ||
                node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call ||
                node.FirstAncestorOrSelf<StatementSyntax>() is not { } statement ||
                statement.Parent is not (BlockSyntax or GlobalStatementSyntax) ||
                UsingDeclaration(statement, Outermost(call), model) is not { } replacement)
            {
                continue;
            }

            Document document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    CodeFixTitles.DisposeEmaWeights,
                    token => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(statement, replacement.WithTriviaFrom(statement)))),
                    equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    /// <summary>The call with its conditional access (<c>maybe?.UseEmaWeights()</c>) and parentheses.</summary>
    private static ExpressionSyntax Outermost(ExpressionSyntax call)
    {
        ExpressionSyntax current = call;
        while (current.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == current ||
               current.Parent is ParenthesizedExpressionSyntax)
        {
            current = (ExpressionSyntax)current.Parent;
        }

        return current;
    }

    private static StatementSyntax? UsingDeclaration(StatementSyntax statement, ExpressionSyntax scope, SemanticModel model)
    {
        switch (statement)
        {
            case ExpressionStatementSyntax expression when expression.Expression == scope ||
                (expression.Expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard &&
                 discard.Right == scope && model.GetSymbolInfo(discard.Left).Symbol is null or IDiscardSymbol):
                string name = FreeName(model, statement.SpanStart);
                return LocalDeclarationStatement(
                        VariableDeclaration(IdentifierName("var"))
                            .WithVariables(SingletonSeparatedList(VariableDeclarator(name).WithInitializer(EqualsValueClause(scope.WithoutTrivia())))))
                    .WithUsingKeyword(Token(SyntaxKind.UsingKeyword));
            case LocalDeclarationStatementSyntax declaration when
                declaration.UsingKeyword.IsKind(SyntaxKind.None) && declaration.Declaration.Variables.Count == 1 &&
                declaration.Declaration.Variables[0].Initializer?.Value == scope &&
                model.GetTypeInfo(declaration.Declaration.Type).Type is { } type &&
                (type.SpecialType == SpecialType.System_IDisposable || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_IDisposable)):
                return declaration.WithUsingKeyword(Token(SyntaxKind.UsingKeyword)).WithModifiers(declaration.Modifiers);
            default:
                return null;
        }
    }

    private static string FreeName(SemanticModel model, int position)
    {
        string name = ScopeName;
        for (int i = 2; model.LookupSymbols(position, name: name).Any(); i++)
        {
            name = ScopeName + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }
}
