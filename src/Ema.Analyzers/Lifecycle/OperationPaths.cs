using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers.Lifecycle;

/// <summary>Walks of the operation tree shared by the lifecycle analyzers (EMA0007 to EMA0009).</summary>
internal static class OperationPaths
{
    /// <summary>The value under implicit and explicit conversions and parentheses.</summary>
    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>
    /// The operation that receives <paramref name="value"/>: the first ancestor that is not a conversion, parentheses,
    /// a branch of <c>?:</c> or <c>??</c>, or the tail of <c>?.</c>, which all hand the value on unchanged.
    /// </summary>
    public static IOperation? Consumer(IOperation value, out IOperation handedOver)
    {
        IOperation current = value;
        while (current.Parent is { } parent)
        {
            bool passesOn = parent switch
            {
                IConversionOperation or IParenthesizedOperation => true,
                IConditionalOperation conditional => conditional.Condition != current,
                ICoalesceOperation => true,
                IConditionalAccessOperation access => access.WhenNotNull == current,
                _ => false,
            };
            if (!passesOn)
            {
                handedOver = current;
                return parent;
            }

            current = parent;
        }

        handedOver = current;
        return null;
    }

    /// <summary>The lambda, local function or member body that runs <paramref name="operation"/>.</summary>
    public static IOperation Function(IOperation operation)
    {
        IOperation current = operation;
        while (current.Parent is { } parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return parent;
            }

            current = parent;
        }

        return current;
    }

    /// <summary>The root of the operation tree: the whole member body, lambdas and local functions included.</summary>
    public static IOperation Root(IOperation operation)
    {
        IOperation current = operation;
        while (current.Parent is { } parent)
        {
            current = parent;
        }

        return current;
    }

    /// <summary>The using statement or using declaration that declares the variable, or null for a plain local.</summary>
    public static IOperation? DeclaringUsing(IVariableDeclaratorOperation declarator)
    {
        for (IOperation? ancestor = declarator.Parent; ancestor is not null; ancestor = ancestor.Parent)
        {
            switch (ancestor)
            {
                case IUsingOperation or IUsingDeclarationOperation:
                    return ancestor;
                case IVariableDeclarationOperation or IVariableDeclarationGroupOperation:
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The symbol a reference names: a local, a parameter, or a field or property of this instance or a static one.</summary>
    public static ISymbol? ReferencedSymbol(IOperation operation) => Unwrap(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
        _ => null,
    };

    /// <summary>The receiver of a call: its instance, or the first argument of an extension method called as one.</summary>
    public static IOperation? Receiver(IInvocationOperation invocation) =>
        invocation.Instance ?? (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0
            ? invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value
            : null);
}
