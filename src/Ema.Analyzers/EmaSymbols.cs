using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;

namespace Ema.Analyzers;

/// <summary>
/// The runtime contract's symbols, resolved once per compilation for all the analyzers (<see cref="For"/>). A
/// compilation that does not reference Ema.Runtime has none of them, and the analyzers then register no actions at all.
/// </summary>
internal sealed class EmaSymbols
{
    // Each GetTypeByMetadataName searches the compilation and every reference; four analyzers start on each
    // compilation, and without this table each of them would repeat the eight look-ups.
    private static readonly PerCompilation<EmaSymbols?> s_cache = new();

    private EmaSymbols(
        INamedTypeSymbol emaParams,
        IPropertySymbol decay,
        INamedTypeSymbol decayFunction,
        INamedTypeSymbol scheduleAttribute,
        INamedTypeSymbol? providerAttribute,
        INamedTypeSymbol? decaySchedules,
        INamedTypeSymbol? rangeAttribute,
        INamedTypeSymbol? attribute,
        Compilation compilation)
    {
        EmaParams = emaParams;
        Decay = decay;
        DecayFunction = decayFunction;
        ScheduleAttribute = scheduleAttribute;
        ProviderAttribute = providerAttribute;
        DecaySchedules = decaySchedules;
        RangeAttribute = rangeAttribute;
        Attribute = attribute;
        ModelEma = compilation.GetTypeByMetadataName(EmaTypeNames.ModelEma);
        TrainingParams = compilation.GetTypeByMetadataName(EmaTypeNames.TrainingParams);
        Module = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
        Optimizer = compilation.GetTypeByMetadataName("TorchSharp.torch+optim+Optimizer");

        // The decay's rule is declared once, by [Range] on EmaParams.Decay, and read as every schedule parameter's is.
        DecayRange = rangeAttribute is not null && RangeReader.Find(decay) is { } range ? RangeReader.Read(range) : null;
    }

    public INamedTypeSymbol EmaParams { get; }

    public IPropertySymbol Decay { get; }

    /// <summary>The bounds of <c>EmaParams.Decay</c>'s [Range] (the open interval (0, 1)); null if the runtime declares none.</summary>
    public RangeData? DecayRange { get; }

    public INamedTypeSymbol DecayFunction { get; }

    public INamedTypeSymbol ScheduleAttribute { get; }

    public INamedTypeSymbol? ProviderAttribute { get; }

    public INamedTypeSymbol? DecaySchedules { get; }

    public INamedTypeSymbol? RangeAttribute { get; }

    public INamedTypeSymbol? Attribute { get; }

    /// <summary>Ema.ModelEma; null in a compilation that has the schedules but not the engine (none today).</summary>
    public INamedTypeSymbol? ModelEma { get; }

    public INamedTypeSymbol? TrainingParams { get; }

    /// <summary>TorchSharp's torch.nn.Module; null when TorchSharp is not referenced.</summary>
    public INamedTypeSymbol? Module { get; }

    /// <summary>TorchSharp's torch.optim.Optimizer, the base of every optimizer; null when TorchSharp is not referenced.</summary>
    public INamedTypeSymbol? Optimizer { get; }

    /// <summary>True for ModelEma.UseEmaWeights().</summary>
    public bool IsUseEmaWeights(IMethodSymbol? method) =>
        method is { Name: "UseEmaWeights", Parameters.Length: 0 } && ModelEma is not null &&
        SymbolEqualityComparer.Default.Equals(method.ContainingType, ModelEma);

    /// <summary>True for a type that is or derives from <paramref name="baseType"/>.</summary>
    public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null)
        {
            return false;
        }

        for (ITypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The compilation's symbols, shared by every analyzer; null when it does not reference Ema.Runtime.</summary>
    public static EmaSymbols? For(Compilation compilation) => s_cache.Get(compilation, TryCreate);

    private static EmaSymbols? TryCreate(Compilation compilation)
    {
        INamedTypeSymbol? emaParams = compilation.GetTypeByMetadataName(EmaTypeNames.EmaParams);
        INamedTypeSymbol? decayFunction = compilation.GetTypeByMetadataName(EmaTypeNames.DecayFunction);
        INamedTypeSymbol? scheduleAttribute = compilation.GetTypeByMetadataName(EmaTypeNames.DecayScheduleAttribute);
        IPropertySymbol? decay = emaParams?.GetMembers("Decay").OfType<IPropertySymbol>().FirstOrDefault();
        if (emaParams is null || decayFunction is null || scheduleAttribute is null || decay is null)
        {
            return null;
        }

        return new EmaSymbols(
            emaParams,
            decay,
            decayFunction,
            scheduleAttribute,
            compilation.GetTypeByMetadataName(EmaTypeNames.ProviderAttribute),
            compilation.GetTypeByMetadataName(EmaTypeNames.DecaySchedules),
            compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.RangeAttribute"),
            compilation.GetTypeByMetadataName("System.Attribute"),
            compilation);
    }

    /// <summary>True for EmaParams and every record derived from it.</summary>
    public bool IsEmaParams(ITypeSymbol? type)
    {
        for (ITypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, EmaParams))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True for IDecayFunction and every type implementing it.</summary>
    public bool IsDecayFunction(ITypeSymbol? type) =>
        type is not null &&
        (SymbolEqualityComparer.Default.Equals(type, DecayFunction) ||
         type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, DecayFunction)));

    public bool IsAttributeClass(ITypeSymbol? type)
    {
        for (ITypeSymbol? current = type?.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, Attribute))
            {
                return true;
            }
        }

        return false;
    }

    public AttributeData? GetScheduleAttribute(ISymbol symbol) =>
        symbol.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, ScheduleAttribute));
}
