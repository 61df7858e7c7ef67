using Ema.Analyzers.Schedules;
using Ema.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers;

/// <summary>
/// EMA0002 in C#: a constant string passed where a schedule name is expected. A string parameter takes a
/// schedule name when it is named <c>decayType</c> or <c>scheduleName</c> (in any method, so user helpers
/// opt in by naming), or is the <c>name</c> parameter of an <c>Ema.DecaySchedules</c> method.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScheduleNameAnalyzer : EmaAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UnknownSchedule);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        Compilation compilation = start.Compilation;
        start.RegisterOperationAction(c => Analyze(c, symbols, compilation), OperationKind.Argument);
    }

    internal static bool TakesScheduleName(IParameterSymbol parameter, EmaSymbols symbols) =>
        parameter.Type.SpecialType == SpecialType.System_String &&
        (parameter.Name is "decayType" or "scheduleName" ||
         (parameter.Name == "name" && SymbolEqualityComparer.Default.Equals(parameter.ContainingType, symbols.DecaySchedules)));

    private static void Analyze(OperationAnalysisContext context, EmaSymbols symbols, Compilation compilation)
    {
        var argument = (IArgumentOperation)context.Operation;
        if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is not { } parameter ||
            !TakesScheduleName(parameter, symbols) || argument.Value.ConstantValue is not { HasValue: true, Value: string name })
        {
            return;
        }

        ScheduleCatalog catalog = ScheduleCatalog.For(compilation, symbols);
        if (catalog.Names.IsEmpty || catalog.FindByName(name) is not null)
        {
            return;
        }

        string? closest = ScheduleNaming.Closest(name, catalog.Names);
        ImmutableDictionary<string, string?> properties = closest is null
            ? ImmutableDictionary<string, string?>.Empty
            : ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.ReplacementProperty, CSharpStringLiteral(closest));
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.UnknownSchedule,
            argument.Value.Syntax.GetLocation(),
            properties,
            name,
            DidYouMean(closest),
            catalog.DescribeNames(),
            catalog.Origins));
    }

    /// <summary>The one " (did you mean 'x'?)" suffix of EMA0002 and EMA0006 messages, empty without a suggestion.</summary>
    internal static string DidYouMean(string? closest) => closest is null ? string.Empty : " (did you mean '" + closest + "'?)";

    // Schedule names are letters, digits, '-' and '_' (ScheduleNaming.IsValidName): nothing to escape.
    private static string CSharpStringLiteral(string value) => "\"" + value + "\"";
}
