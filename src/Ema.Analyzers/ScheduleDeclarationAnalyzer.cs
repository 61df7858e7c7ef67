using Ema.Analyzers.Schedules;
using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ema.Analyzers;

/// <summary>
/// EMA0003 and EMA0004: a [DecaySchedule] class the generator cannot turn into a schedule, and a name that
/// another schedule (in this project or a referenced provider assembly) already has, or a record name that
/// another schedule of this project gives too.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScheduleDeclarationAnalyzer : EmaAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.DuplicateSchedule, DiagnosticDescriptors.InvalidSchedule);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        Compilation compilation = start.Compilation;
        start.RegisterSymbolAction(c => Analyze(c, symbols, compilation), SymbolKind.NamedType);
    }

    private static void Analyze(SymbolAnalysisContext context, EmaSymbols symbols, Compilation compilation)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        AttributeData? attribute = symbols.GetScheduleAttribute(type);
        if (attribute is null)
        {
            return;
        }

        Location typeLocation = type.Locations.FirstOrDefault() ?? Location.None;
        Location nameLocation = NameArgumentLocation(attribute, context.CancellationToken) ?? typeLocation;
        string typeName = type.ToDisplayString();

        // The generator runs the same check and emits nothing when it finds a problem: each one is reported here.
        foreach (ShapeProblem problem in ScheduleShape.Check(type, attribute, symbols.DecayFunction))
        {
            Location location = problem.Site switch
            {
                ShapeSite.Name => nameLocation,
                ShapeSite.Parameter => problem.Parameter?.Locations.FirstOrDefault() ?? typeLocation,
                _ => typeLocation,
            };
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidSchedule, location, typeName, problem.Reason));
        }

        string? name = ScheduleShape.ReadName(attribute);
        if (name is not null && ScheduleNaming.IsValidName(name))
        {
            ReportDuplicates(context, symbols, compilation, type, name, nameLocation);
        }
    }

    private static void ReportDuplicates(SymbolAnalysisContext context, EmaSymbols symbols, Compilation compilation, INamedTypeSymbol type, string name, Location location)
    {
        ScheduleCatalog catalog = ScheduleCatalog.For(compilation, symbols);
        ImmutableArray<ScheduleInfo> sameName = catalog.AllNamed(name);
        ScheduleInfo? self = sameName.FirstOrDefault(s => SymbolEqualityComparer.Default.Equals(s.Type, type));
        if (self is null)
        {
            return;
        }

        if (sameName.FirstOrDefault(s => s != self) is { } other)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateSchedule, location, "name '" + name + "'", self.Origin, other.Origin));
            return;
        }

        // "warm-cosine" and "warm_cosine" in one namespace give one record: the generator emits neither.
        if (catalog.SourceWithRecord(self.RecordMetadataName).FirstOrDefault(s => s != self) is { } twin)
        {
            string what = "record " + self.RecordMetadataName + " (from the names '" + name + "' and '" + twin.Name + "')";
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateSchedule, location, what, self.Origin, twin.Origin));
        }
    }

    private static Location? NameArgumentLocation(AttributeData attribute, System.Threading.CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList.Arguments: { Count: > 0 } arguments }
            ? arguments[0].Expression.GetLocation()
            : attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
}
