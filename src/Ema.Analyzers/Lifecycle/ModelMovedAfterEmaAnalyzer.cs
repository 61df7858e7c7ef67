using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers.Lifecycle;

/// <summary>
/// EMA0008: in one method, the module given to <c>new ModelEma(module, ...)</c> (the same local, parameter or field)
/// is moved or converted later in the source, in the same function and while that EMA is alive: before its
/// <c>using</c> ends or its local is disposed. Moves before the EMA is made, in other lambdas, or of other
/// modules are not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModelMovedAfterEmaAnalyzer : EmaAnalyzer
{
    /// <summary>TorchSharp's Module methods that replace the module's parameters.</summary>
    private static readonly ImmutableHashSet<string> s_moves = ImmutableHashSet.Create("to", "cuda", "cpu", "half", "bfloat16", "float", "double", "to_type");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.ModelMovedAfterEma);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        if (symbols.ModelEma is null || symbols.Module is null)
        {
            return;
        }

        start.RegisterOperationBlockStartAction(block =>
        {
            var creations = new List<IObjectCreationOperation>();
            var calls = new List<IInvocationOperation>();
            var assignments = new List<ISimpleAssignmentOperation>();
            block.RegisterOperationAction(
                c =>
                {
                    var creation = (IObjectCreationOperation)c.Operation;
                    if (SymbolEqualityComparer.Default.Equals(creation.Type, symbols.ModelEma))
                    {
                        creations.Add(creation);
                    }
                },
                OperationKind.ObjectCreation);
            block.RegisterOperationAction(
                c =>
                {
                    var call = (IInvocationOperation)c.Operation;
                    IMethodSymbol method = call.TargetMethod;
                    if ((s_moves.Contains(method.Name) && SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, symbols.Module.ContainingAssembly)) ||
                        (method.Name == nameof(IDisposable.Dispose) && SymbolEqualityComparer.Default.Equals(call.Instance?.Type, symbols.ModelEma)))
                    {
                        calls.Add(call);
                    }
                },
                OperationKind.Invocation);
            block.RegisterOperationAction(c => assignments.Add((ISimpleAssignmentOperation)c.Operation), OperationKind.SimpleAssignment);
            block.RegisterOperationBlockEndAction(c =>
            {
                // Both actions run on one thread per block, and the end action after them.
                foreach (IObjectCreationOperation creation in creations)
                {
                    Check(c, symbols, creation, calls, assignments);
                }
            });
        });
    }

    private static void Check(OperationBlockAnalysisContext context, EmaSymbols symbols, IObjectCreationOperation creation, List<IInvocationOperation> calls, List<ISimpleAssignmentOperation> assignments)
    {
        IArgumentOperation? modelArgument = creation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
        if (modelArgument is null || OperationPaths.ReferencedSymbol(modelArgument.Value) is not { } model)
        {
            return;
        }

        IOperation function = OperationPaths.Function(creation);
        int made = creation.Syntax.Span.End;
        int end = AliveUntil(creation, calls);
        foreach (IInvocationOperation call in calls)
        {
            int at = call.Syntax.SpanStart;
            if (at < made || at >= end || call.TargetMethod.Name == nameof(IDisposable.Dispose) ||
                OperationPaths.Receiver(call) is not { } receiver ||
                !EmaSymbols.DerivesFrom(OperationPaths.Unwrap(receiver).Type, symbols.Module) ||
                !SymbolEqualityComparer.Default.Equals(OperationPaths.ReferencedSymbol(receiver), model) ||
                OperationPaths.Function(call) != function ||
                IsReassignedBetween(model, made, at, assignments))
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.ModelMovedAfterEma,
                call.Syntax.GetLocation(),
                model.Name,
                call.TargetMethod.Name,
                creation.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1));
        }
    }

    /// <summary>True when the variable gets another module between the EMA and the move (<c>model = model.to(d)</c> itself does not count).</summary>
    private static bool IsReassignedBetween(ISymbol model, int from, int to, List<ISimpleAssignmentOperation> assignments) =>
        assignments.Any(a => a.Syntax.SpanStart > from && a.Syntax.Span.End < to &&
                             SymbolEqualityComparer.Default.Equals(OperationPaths.ReferencedSymbol(a.Target), model));

    /// <summary>Where the EMA made by <paramref name="creation"/> ends: its using's end, its local's first Dispose(), or never.</summary>
    private static int AliveUntil(IObjectCreationOperation creation, List<IInvocationOperation> calls)
    {
        IOperation? consumer = OperationPaths.Consumer(creation, out _);
        if (consumer is IUsingOperation directUsing)
        {
            return directUsing.Body.Syntax.Span.End;
        }

        if (consumer is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            return int.MaxValue;
        }

        switch (OperationPaths.DeclaringUsing(declarator))
        {
            case IUsingOperation usingStatement:
                return usingStatement.Body.Syntax.Span.End;
            case IUsingDeclarationOperation usingDeclaration:
                // A using declaration ends with its enclosing block (the whole file for top-level statements).
                return usingDeclaration.Parent?.Syntax.Span.End ?? int.MaxValue;
        }

        int made = creation.Syntax.Span.End;
        return calls
            .Where(c => c.TargetMethod.Name == nameof(IDisposable.Dispose) && c.Syntax.SpanStart > made &&
                        OperationPaths.Unwrap(c.Instance!) is ILocalReferenceOperation local &&
                        SymbolEqualityComparer.Default.Equals(local.Local, declarator.Symbol))
            .Select(c => c.Syntax.SpanStart)
            .DefaultIfEmpty(int.MaxValue)
            .Min();
    }
}
