using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers.Lifecycle;

/// <summary>
/// EMA0009: <c>step()</c> of a TorchSharp optimizer inside <c>using (ema.UseEmaWeights())</c>, or after
/// <c>using var scope = ema.UseEmaWeights();</c> in an enclosing block of the same function. A lambda or local
/// function defined in the scope may run after it ends, so a step there is not reported. <c>LRScheduler.step()</c>
/// is not reported either: it changes learning rates, no weights.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepInsideEmaScopeAnalyzer : EmaAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.StepInsideEmaScope);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        if (symbols.ModelEma is null || symbols.Optimizer is null)
        {
            return;
        }

        start.RegisterOperationAction(c => Analyze(c, symbols), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EmaSymbols symbols)
    {
        var step = (IInvocationOperation)context.Operation;
        if (step.TargetMethod.Name != "step" || !EmaSymbols.DerivesFrom(step.TargetMethod.ContainingType, symbols.Optimizer) ||
            EnclosingScope(step, symbols) is not { } scope)
        {
            return;
        }

        string optimizer = step.Instance is { } instance ? instance.Syntax.ToString() : "optimizer";
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.StepInsideEmaScope, step.Syntax.GetLocation(), optimizer, scope.Syntax.ToString()));
    }

    /// <summary>The UseEmaWeights() call whose scope holds <paramref name="operation"/>, in the same function; null if none.</summary>
    private static IInvocationOperation? EnclosingScope(IOperation operation, EmaSymbols symbols)
    {
        IOperation current = operation;
        while (current.Parent is { } parent && parent is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
        {
            if (parent is IUsingOperation usingStatement && usingStatement.Body == current && FindUseEmaWeights(usingStatement.Resources, symbols) is { } held)
            {
                return held;
            }

            if (parent is IBlockOperation block)
            {
                foreach (IOperation statement in block.Operations)
                {
                    if (statement == current)
                    {
                        break;
                    }

                    if (statement is IUsingDeclarationOperation declaration && FindUseEmaWeights(declaration.DeclarationGroup, symbols) is { } declared)
                    {
                        return declared;
                    }
                }
            }

            current = parent;
        }

        return null;
    }

    /// <summary>The UseEmaWeights() call a using resource holds: the expression itself or a declared variable's initializer.</summary>
    private static IInvocationOperation? FindUseEmaWeights(IOperation resource, EmaSymbols symbols)
    {
        IOperation value = OperationPaths.Unwrap(resource);
        switch (value)
        {
            case IConditionalAccessOperation access:
                return FindUseEmaWeights(access.WhenNotNull, symbols);
            case IInvocationOperation invocation when symbols.IsUseEmaWeights(invocation.TargetMethod):
                return invocation;
            case IVariableDeclarationGroupOperation group:
                return group.Declarations.Select(d => FindUseEmaWeights(d, symbols)).FirstOrDefault(i => i is not null);
            case IVariableDeclarationOperation declaration:
                return declaration.Declarators
                    .Select(d => d.Initializer ?? declaration.Initializer)
                    .Select(i => i is null ? null : FindUseEmaWeights(i.Value, symbols))
                    .FirstOrDefault(i => i is not null);
            default:
                return null;
        }
    }
}
