using System.Collections.Concurrent;
using Ema.Analyzers.Schedules;
using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers;

/// <summary>
/// EMA0001 and EMA0005 in C#: a constant that reaches a decay or a schedule parameter and lies outside its
/// range. Every form (arguments, object initializers, <c>with</c>, attribute arguments, property
/// initializers, const fields and locals, folded expressions) arrives here as one of three operations whose
/// <see cref="IOperation.ConstantValue"/> the compiler has already folded.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DecayValueAnalyzer : EmaAnalyzer
{
    private const string DecayParameterName = EmaConfigKeys.Decay;
    private const string DecayPropertyName = "Decay";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.DecayOutOfRange, DiagnosticDescriptors.ParameterOutOfRange);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        var checker = new Checker(symbols, start.Compilation);
        start.RegisterOperationAction(c => checker.AnalyzeArgument(c), OperationKind.Argument);
        start.RegisterOperationAction(c => checker.AnalyzeAssignment(c), OperationKind.SimpleAssignment);
        start.RegisterOperationAction(c => checker.AnalyzePropertyInitializer(c), OperationKind.PropertyInitializer);
    }

    private sealed class Checker
    {
        private readonly EmaSymbols _symbols;
        private readonly Compilation _compilation;

        // Reading [Range] decodes the member's attributes; the same few parameters and properties are met at every
        // construction site, so each is read once per compilation.
        private readonly ConcurrentDictionary<ISymbol, RangeData?> _ranges = new(SymbolEqualityComparer.Default);

        public Checker(EmaSymbols symbols, Compilation compilation)
        {
            _symbols = symbols;
            _compilation = compilation;
        }

        private RangeData? ReadRange(ISymbol member) => _ranges.GetOrAdd(member, m => ScheduleCatalog.ReadRange(m, _symbols));

        // Every handler below runs for each argument and assignment in the compilation, nearly all of them nothing to
        // do with Ema. So each test is cheaper than the next: the folded constant (already computed by the compiler;
        // most values are not constants, and strings and bools are not numbers), then names, and only then the
        // type checks that walk base types and interfaces.
        public void AnalyzeArgument(OperationAnalysisContext context)
        {
            var argument = (IArgumentOperation)context.Operation;

            // Omitted arguments carry the parameter's default at the call's syntax: nothing the user wrote.
            if (argument.ArgumentKind != ArgumentKind.Explicit || NumericConstant.Read(argument.Value) is not { } constant ||
                argument.Parameter is not { ContainingSymbol: IMethodSymbol method } parameter)
            {
                return;
            }

            INamedTypeSymbol type = method.ContainingType;
            if (parameter.Name == DecayParameterName)
            {
                // Nothing else applies either way: an Ema decay's range is (0, 1), and any other "decay" is not Ema's.
                if (TakesDecay(type))
                {
                    CheckDecay(context, argument.Value, constant);
                }

                return;
            }

            // Only schedules and their records declare ranges the analyzer enforces.
            if (_symbols.IsEmaParams(type))
            {
                CheckRecordMember(context, type, parameter.Name, parameter, argument.Value, constant);
            }
            else if (_symbols.IsDecayFunction(type) && ReadRange(parameter) is { } range)
            {
                CheckParameter(context, argument.Value, constant, range, parameter.Name, parameter.Name, type.ToDisplayString());
            }
        }

        public void AnalyzeAssignment(OperationAnalysisContext context)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            if (assignment.Target is IPropertyReferenceOperation { Property: var property } &&
                NumericConstant.Read(assignment.Value) is { } constant)
            {
                CheckProperty(context, property, assignment.Value, constant);
            }
        }

        public void AnalyzePropertyInitializer(OperationAnalysisContext context)
        {
            var initializer = (IPropertyInitializerOperation)context.Operation;
            if (NumericConstant.Read(initializer.Value) is not { } constant)
            {
                return;
            }

            foreach (IPropertySymbol property in initializer.InitializedProperties)
            {
                CheckProperty(context, property, initializer.Value, constant);
            }
        }

        private void CheckProperty(OperationAnalysisContext context, IPropertySymbol property, IOperation value, NumericConstant constant)
        {
            INamedTypeSymbol type = property.ContainingType;
            if (property.Name == DecayPropertyName &&
                (SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, _symbols.Decay) || IsEmaAttribute(type)))
            {
                CheckDecay(context, value, constant);
            }
            else if (_symbols.IsEmaParams(type))
            {
                CheckRecordMember(context, type, property.Name, property, value, constant);
            }
        }

        /// <summary>
        /// A decay parameter counts where it means an EMA decay: EmaParams records, schedules
        /// (IDecayFunction.Compute), Ema attributes (<c>[EmaOptions(decay: 0.99)]</c>), and the runtime's own API.
        /// </summary>
        private bool TakesDecay(INamedTypeSymbol type) =>
            _symbols.IsEmaParams(type) || _symbols.IsDecayFunction(type) || IsEmaAttribute(type) ||
            SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _symbols.EmaParams.ContainingAssembly);

        /// <summary>
        /// An attribute's decay is an EMA decay only when the attribute comes from Ema.Runtime or from an assembly
        /// that declares schedules (this project or a referenced provider): "decay" alone is too common a word
        /// (<c>[Backoff(decay: 1.5)]</c>) to claim every attribute in a project that merely references Ema.
        /// </summary>
        private bool IsEmaAttribute(INamedTypeSymbol type) =>
            _symbols.IsAttributeClass(type) &&
            (SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _symbols.EmaParams.ContainingAssembly) ||
             ScheduleCatalog.For(_compilation, _symbols).DeclaresSchedules(type.ContainingAssembly));

        /// <summary>A record's range comes from its own [Range] if the generator carried it, else from its schedule's constructor.</summary>
        private void CheckRecordMember(OperationAnalysisContext context, INamedTypeSymbol record, string memberName, ISymbol member, IOperation value, NumericConstant constant)
        {
            ScheduleInfo? schedule = ScheduleCatalog.For(_compilation, _symbols).FindByRecord(record);
            ScheduleParameter? parameter = schedule?.FindByMemberName(memberName);
            RangeData? range = ReadRange(member) ?? parameter?.Range;
            if (range is not null)
            {
                string origin = schedule is null ? record.ToDisplayString() : "schedule '" + schedule.Name + "', " + schedule.Origin;
                CheckParameter(context, value, constant, range, memberName, parameter?.Name ?? memberName, origin);
            }
        }

        private void CheckDecay(OperationAnalysisContext context, IOperation value, NumericConstant constant)
        {
            if (_symbols.DecayRange is not { } range || range.Contains(constant.Value))
            {
                return;
            }

            string replacement = value.Type?.SpecialType == SpecialType.System_Single ? "0.9999f" : "0.9999";
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.DecayOutOfRange,
                value.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.ReplacementProperty, replacement),
                constant.Text,
                "Ema.EmaParams.Decay"));
        }

        private static void CheckParameter(OperationAnalysisContext context, IOperation value, NumericConstant constant, RangeData range, string name, string declaredOn, string origin)
        {
            if (range.Contains(constant.Value))
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.ParameterOutOfRange,
                value.Syntax.GetLocation(),
                name,
                constant.Text,
                range.Describe(),
                declaredOn,
                origin));
        }
    }
}
