using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers.Lifecycle;

/// <summary>
/// EMA0007: the scope <c>ModelEma.UseEmaWeights()</c> returns is discarded, or kept in a local that is never read
/// again (so never disposed). Everywhere the scope visibly changes hands (returned, stored in a field or property,
/// passed to a method, captured by a lambda, disposed in a <c>finally</c>), the analyzer stays silent: it reports
/// only what is certainly a leak.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmaWeightsScopeAnalyzer : EmaAnalyzer
{
    private const string Discarded = "discarded";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.ScopeNotDisposed);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        if (symbols.ModelEma is null)
        {
            return;
        }

        start.RegisterOperationAction(c => Analyze(c, symbols), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EmaSymbols symbols)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!symbols.IsUseEmaWeights(invocation.TargetMethod) || Problem(invocation) is not { } problem)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.ScopeNotDisposed,
            invocation.Syntax.GetLocation(),
            invocation.Syntax.ToString(),
            problem));
    }

    /// <summary>What is wrong with the scope, or null when it is disposed or handed on.</summary>
    private static string? Problem(IInvocationOperation invocation)
    {
        IOperation? consumer = OperationPaths.Consumer(invocation, out IOperation handedOver);
        switch (consumer)
        {
            case IExpressionStatementOperation:
                return Discarded;
            case ISimpleAssignmentOperation assignment when assignment.Value == handedOver:
                return OperationPaths.Unwrap(assignment.Target) switch
                {
                    IDiscardOperation => Discarded,
                    ILocalReferenceOperation local => NeverRead(local.Local, invocation),
                    _ => null,
                };
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return OperationPaths.DeclaringUsing(declarator) is null ? NeverRead(declarator.Symbol, invocation) : null;
            default:
                // Returned, passed, stored in a field or property, used in using (...), disposed at once: handed on.
                return null;
        }
    }

    private static string? NeverRead(ILocalSymbol local, IOperation site)
    {
        foreach (IOperation operation in OperationPaths.Root(site).Descendants())
        {
            if (operation is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local) &&
                !reference.IsDeclaration &&
                !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
            {
                return null;
            }
        }

        return "kept in '" + local.Name + "', which is never disposed";
    }
}
