using Ema.Analyzers.Schedules;
using Ema.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ema.Analyzers;

/// <summary>
/// EMA0003 and EMA0004: a [DecaySchedule] class the generator cannot turn into a schedule, and a name that
/// another schedule (in this project or a referenced provider assembly) already has.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScheduleDeclarationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.DuplicateSchedule, DiagnosticDescriptors.InvalidSchedule);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            EmaSymbols? symbols = EmaSymbols.TryCreate(start.Compilation);
            if (symbols is null)
            {
                return;
            }

            Compilation compilation = start.Compilation;
            start.RegisterSymbolAction(c => Analyze(c, symbols, compilation), SymbolKind.NamedType);
        });
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
        void Report(Location location, string reason) =>
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidSchedule, location, typeName, reason));

        string? name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
        if (!ScheduleNaming.IsValidName(name))
        {
            Report(nameLocation, "its name '" + (name ?? "null") + "' is not a valid schedule name: use a letter followed by letters, digits, '-' or '_', for example \"warm-cosine\"");
        }

        if (!symbols.IsDecayFunction(type))
        {
            Report(typeLocation, "it does not implement Ema.IDecayFunction");
        }

        if (type.IsAbstract || type.IsStatic)
        {
            Report(typeLocation, "it is " + (type.IsStatic ? "static" : "abstract") + ", so the registry cannot create it");
        }

        if (IsGeneric(type))
        {
            Report(typeLocation, "it is generic (or nested in a generic type), so the registry cannot name one type to create");
        }

        IMethodSymbol? constructor = ScheduleInfo.SelectConstructor(type);
        // An abstract class has been reported already; its implicit constructor is protected.
        if (constructor is null && !type.IsAbstract)
        {
            Report(typeLocation, "it has no public constructor, so the registry cannot create it");
        }

        foreach (IParameterSymbol parameter in constructor?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty)
        {
            if (!IsSupported(parameter.Type))
            {
                Report(
                    parameter.Locations.FirstOrDefault() ?? typeLocation,
                    "constructor parameter '" + parameter.Name + "' has type '" + parameter.Type.ToDisplayString() +
                    "', which a config value cannot hold: use double, float, int, long, bool, string or an enum");
            }
        }

        if (name is not null && ScheduleNaming.IsValidName(name))
        {
            ReportDuplicates(context, symbols, compilation, type, name, nameLocation);
        }
    }

    private static void ReportDuplicates(SymbolAnalysisContext context, EmaSymbols symbols, Compilation compilation, INamedTypeSymbol type, string name, Location location)
    {
        ImmutableArray<ScheduleInfo> sameName = ScheduleCatalog.For(compilation, symbols).AllNamed(name);
        ScheduleInfo? self = sameName.FirstOrDefault(s => SymbolEqualityComparer.Default.Equals(s.Type, type));
        ScheduleInfo? other = sameName.FirstOrDefault(s => !SymbolEqualityComparer.Default.Equals(s.Type, type));
        if (self is not null && other is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateSchedule, location, name, self.Origin, other.Origin));
        }
    }

    private static bool IsGeneric(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsGenericType)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSupported(ITypeSymbol type) =>
        type.TypeKind == TypeKind.Enum ||
        type.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 or
            SpecialType.System_Int64 or SpecialType.System_Boolean or SpecialType.System_String;

    private static Location? NameArgumentLocation(AttributeData attribute, System.Threading.CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList.Arguments: { Count: > 0 } arguments }
            ? arguments[0].Expression.GetLocation()
            : attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
}
