// Shared by the generator and the analyzers (linked into both, never into the runtime, which has no Roslyn):
// the one definition of what a [DecaySchedule] class must be. The generator emits a schedule exactly when
// Check finds nothing, the analyzer reports each reason as EMA0004 and its catalog (EMA0002, EMA0006) lists
// only schedules that pass, so a name the analyzer accepts is a name the registry knows at run time.
using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Shared.Roslyn;

/// <summary>Where a shape problem is reported.</summary>
internal enum ShapeSite
{
    /// <summary>The attribute's name argument.</summary>
    Name,

    /// <summary>The class name.</summary>
    Type,

    /// <summary>A constructor parameter (<see cref="ShapeProblem.Parameter"/>).</summary>
    Parameter,
}

/// <summary>One reason a class cannot be a schedule. Holds a symbol: use it inside one step, never as a pipeline output.</summary>
internal sealed class ShapeProblem
{
    public ShapeProblem(ShapeSite site, string reason, IParameterSymbol? parameter = null)
    {
        Site = site;
        Reason = reason;
        Parameter = parameter;
    }

    public ShapeSite Site { get; }

    /// <summary>The text after "[DecaySchedule] on 'X' is invalid: ".</summary>
    public string Reason { get; }

    public IParameterSymbol? Parameter { get; }
}

internal static class ScheduleShape
{
    // Members every generated record has (its own and those inherited from EmaParams, record and object):
    // a parameter's property must not take these names.
    private static readonly HashSet<string> s_reservedProperties = new(StringComparer.Ordinal)
    {
        "Decay", "DecayType", "DefaultDecay", "ValidateDecay", "CreateSchedule", "NewSchedule", "ToJson", "WriteJson", "WriteScheduleParameters",
        "EqualityContract", "PrintMembers", "Deconstruct", "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize",
    };

    private static readonly HashSet<string> s_reservedKeys = new(StringComparer.Ordinal) { EmaConfigKeys.Decay, EmaConfigKeys.DecayType };

    /// <summary>The schedule name of a [DecaySchedule] attribute, or null when it is not a string.</summary>
    public static string? ReadName(AttributeData attribute) =>
        attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;

    /// <summary>The constructor the registry calls: the public one with the most parameters (first declared on a tie).</summary>
    public static IMethodSymbol? SelectConstructor(INamedTypeSymbol type) =>
        type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();

    /// <summary>The type or one of its containing types has type parameters.</summary>
    public static bool IsGeneric(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current != null; current = current.ContainingType)
        {
            if (current.IsGenericType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Generated code at namespace level of the same assembly can name it: no private or protected type on the way out.</summary>
    public static bool IsAccessible(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current != null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Public all the way out, so a public record may expose it.</summary>
    public static bool IsPublic(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current != null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility != Accessibility.Public)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The parameter types a config value can hold, each with a getter in EmaParamsSource.</summary>
    public static bool IsSupportedType(ITypeSymbol type) =>
        type.TypeKind == TypeKind.Enum ||
        type.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 or
            SpecialType.System_Int64 or SpecialType.System_Boolean or SpecialType.System_String;

    /// <summary>Kinds whose [Range] is enforced (by the generated record and by EMA0005).</summary>
    public static bool IsNumeric(ITypeSymbol type) =>
        type.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 or SpecialType.System_Int64;

    /// <summary>Every reason <paramref name="type"/> cannot be a schedule; empty when the generator emits it.</summary>
    public static List<ShapeProblem> Check(INamedTypeSymbol type, AttributeData attribute, INamedTypeSymbol? decayFunction)
    {
        var problems = new List<ShapeProblem>();
        string? name = ReadName(attribute);
        if (!ScheduleNaming.IsValidName(name))
        {
            problems.Add(new ShapeProblem(ShapeSite.Name, "its name '" + (name ?? "null") + "' is not a valid schedule name: use a letter followed by letters, digits, '-' or '_', for example \"warm-cosine\""));
        }

        if (type.TypeKind != TypeKind.Class)
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it is not a class (record classes are fine, structs are not)"));
        }

        if (decayFunction == null || !type.AllInterfaces.Contains(decayFunction, SymbolEqualityComparer.Default))
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it does not implement Ema.IDecayFunction"));
        }

        if (type.IsAbstract || type.IsStatic)
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it is " + (type.IsStatic ? "static" : "abstract") + ", so the registry cannot create it"));
        }

        if (IsGeneric(type))
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it is generic (or nested in a generic type), so the registry cannot name one type to create"));
        }

        if (!IsAccessible(type))
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it is private or protected (or nested in such a type), so the generated registry cannot name it"));
        }

        IMethodSymbol? constructor = SelectConstructor(type);

        // An abstract class has been reported already; its implicit constructor is protected.
        if (constructor == null && !type.IsAbstract)
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it has no public constructor, so the registry cannot create it"));
        }

        string? recordName = ScheduleNaming.IsValidName(name) ? ScheduleNaming.ToRecordName(name!) : null;
        if (recordName != null)
        {
            CheckRecordName(type, recordName, problems);
        }

        if (constructor != null)
        {
            CheckParameters(constructor, recordName, problems);
        }

        return problems;
    }

    private static void CheckRecordName(INamedTypeSymbol type, string recordName, List<ShapeProblem> problems)
    {
        string where = type.ContainingNamespace.IsGlobalNamespace ? "the global namespace" : "namespace " + type.ContainingNamespace.ToDisplayString();
        if (type.Name == recordName && type.ContainingType == null)
        {
            problems.Add(new ShapeProblem(ShapeSite.Type, "it is itself named '" + recordName + "', the name of the record generated for it in " + where + ": rename the class"));
        }
        else if (type.ContainingNamespace.GetTypeMembers(recordName).Any(t => !t.IsRecord))
        {
            // A partial record of that name is the author's extension of the generated record; anything else clashes.
            problems.Add(new ShapeProblem(ShapeSite.Type, "a type named '" + recordName + "' that is not a record already exists in " + where + ", where the generated record goes"));
        }
    }

    private static void CheckParameters(IMethodSymbol constructor, string? recordName, List<ShapeProblem> problems)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (IParameterSymbol parameter in constructor.Parameters)
        {
            string subject = "constructor parameter '" + parameter.Name + "'";
            void Add(string reason) => problems.Add(new ShapeProblem(ShapeSite.Parameter, subject + reason, parameter));

            if (parameter.RefKind != RefKind.None)
            {
                Add(" is passed by reference, which a config value cannot be");
            }
            else if (parameter.IsParams)
            {
                Add(" is a params array, which a config value cannot hold");
            }
            else if (!IsSupportedType(parameter.Type))
            {
                Add(" has type '" + parameter.Type.ToDisplayString() + "', which a config value cannot hold: use double, float, int, long, bool, string or an enum");
            }
            else if (parameter.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType && !IsAccessible(enumType))
            {
                Add(" has enum type '" + enumType.ToDisplayString() + "', which is private or protected, so the generated record cannot name it");
            }

            if (IsNumeric(parameter.Type) && RangeReader.Find(parameter) is { } range && RangeReader.Read(range) == null)
            {
                Add(" has a [Range] whose bounds are not numbers: use [Range(min, max)], or [Range(typeof(double), \"min\", \"max\")] with invariant-culture numbers");
            }

            string property = ScheduleNaming.ToPascalCase(parameter.Name);
            string key = ScheduleNaming.ToSnakeCase(parameter.Name);
            if (!SyntaxFacts.IsValidIdentifier(property) || key.Length == 0)
            {
                Add(" gives no usable property name or config key ('" + property + "', '" + key + "'): start it with a letter");
            }
            else if (s_reservedProperties.Contains(property) || s_reservedKeys.Contains(key) || property == recordName)
            {
                Add(" would become property '" + property + "' and config key '" + key + "', which the generated record already has: rename it");
            }
            else if (properties.TryGetValue(property, out string? first) || keys.TryGetValue(key, out first))
            {
                Add(" would become property '" + property + "' and config key '" + key + "', like parameter '" + first + "': rename one of them");
            }
            else
            {
                properties[property] = parameter.Name;
                keys[key] = parameter.Name;
            }
        }
    }
}
