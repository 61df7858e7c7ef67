using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Xml.Linq;
using Ema.Generators.Model;
using Ema.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Generators;

/// <summary>
/// Turns symbols into the generator's equatable model. Anything the generator cannot support yields null:
/// the analyzers (EMA0004) explain why, so the generator never reports and never throws.
/// </summary>
internal static class Parser
{
    public const string ScheduleAttributeName = "Ema.DecayScheduleAttribute";
    public const string ProviderAttributeName = "Ema.DecayScheduleProviderAttribute";
    private const string DecayFunctionName = "Ema.IDecayFunction";
    private const string RangeAttributeName = "System.ComponentModel.DataAnnotations.RangeAttribute";
    private const string RuntimeAssemblyName = "Ema.Runtime";

    // Members every generated record already has: a schedule parameter must not take these names.
    private static readonly HashSet<string> s_reservedProperties = new(StringComparer.Ordinal)
    {
        "Decay", "DecayType", "DefaultDecay", "ValidateDecay", "ToJson", "WriteJson", "WriteScheduleParameters",
        "EqualityContract", "PrintMembers", "Deconstruct", "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize",
    };
    private static readonly HashSet<string> s_reservedKeys = new(StringComparer.Ordinal) { "decay", "decay_type" };

    public static ScheduleModel? ParseSchedule(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return ParseScheduleCore(context, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Broken code mid-edit must never crash the generator; the analyzers report what is wrong.
            return null;
        }
    }

    private static ScheduleModel? ParseScheduleCore(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length != 1)
        {
            return null;
        }

        AttributeData attribute = context.Attributes[0];
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string name || !ScheduleNaming.IsValidName(name))
        {
            return null;
        }

        if (type.TypeKind != TypeKind.Class || type.IsAbstract || type.IsStatic || !IsAccessible(type) || IsGeneric(type))
        {
            return null;
        }

        INamedTypeSymbol? decayFunction = context.SemanticModel.Compilation.GetTypeByMetadataName(DecayFunctionName);
        if (decayFunction == null || !type.AllInterfaces.Contains(decayFunction, SymbolEqualityComparer.Default))
        {
            return null;
        }

        IMethodSymbol? constructor = type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();
        if (constructor == null)
        {
            return null;
        }

        // A non-record type already named like the record (often the schedule class itself) would clash;
        // a user's own partial record of that name is an intended extension and is fine.
        string recordName = ScheduleNaming.ToRecordName(name);
        if (type.ContainingNamespace.GetTypeMembers(recordName).Any(t => !t.IsRecord))
        {
            return null;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var parameters = new List<ParameterModel>(constructor.Parameters.Length);
        bool isPublic = IsPublic(type);
        var properties = new HashSet<string>(s_reservedProperties, StringComparer.Ordinal) { recordName };
        var keys = new HashSet<string>(s_reservedKeys, StringComparer.Ordinal);
        Dictionary<string, string> docs = ParameterDocs(constructor, cancellationToken);
        foreach (IParameterSymbol parameter in constructor.Parameters)
        {
            ParameterModel? model = ParseParameter(parameter, docs);
            if (model == null || !properties.Add(model.PropertyName) || !keys.Add(model.Key))
            {
                return null;
            }

            if (model.Kind == ParameterKind.Enum && !IsPublic((INamedTypeSymbol)parameter.Type))
            {
                isPublic = false;
            }

            parameters.Add(model);
        }

        string ns = type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString();
        return new ScheduleModel(
            name,
            ns,
            type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None)),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            recordName,
            isPublic,
            new EquatableArray<ParameterModel>(parameters));
    }

    /// <summary>
    /// The &lt;param&gt; docs of the constructor, or of the class for a primary constructor, so the record's members
    /// say what the author wrote. Empty when the compilation does not parse doc comments.
    /// </summary>
    private static Dictionary<string, string> ParameterDocs(IMethodSymbol constructor, CancellationToken cancellationToken)
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ISymbol owner in new ISymbol[] { constructor.ContainingType, constructor })
        {
            string? xml = owner.GetDocumentationCommentXml(cancellationToken: cancellationToken);
            if (string.IsNullOrWhiteSpace(xml))
            {
                continue;
            }

            try
            {
                foreach (XElement param in XElement.Parse(xml).Elements("param"))
                {
                    string? name = (string?)param.Attribute("name");
                    string text = string.Concat(param.Nodes().Select(n => n.ToString(SaveOptions.DisableFormatting)));
                    text = string.Join(" ", text.Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries));
                    if (name != null && text.Length > 0)
                    {
                        docs[name] = text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
                    }
                }
            }
            catch (System.Xml.XmlException)
            {
                // Malformed docs are the compiler's to report; the record falls back to generic text.
            }
        }

        return docs;
    }

    private static ParameterModel? ParseParameter(IParameterSymbol parameter, Dictionary<string, string> docs)
    {
        if (parameter.RefKind != RefKind.None || parameter.IsParams)
        {
            return null;
        }

        ITypeSymbol type = parameter.Type;
        ParameterKind kind;
        switch (type.SpecialType)
        {
            case SpecialType.System_Double: kind = ParameterKind.Double; break;
            case SpecialType.System_Single: kind = ParameterKind.Single; break;
            case SpecialType.System_Int32: kind = ParameterKind.Int32; break;
            case SpecialType.System_Int64: kind = ParameterKind.Int64; break;
            case SpecialType.System_Boolean: kind = ParameterKind.Boolean; break;
            case SpecialType.System_String: kind = ParameterKind.String; break;
            default:
                if (type.TypeKind == TypeKind.Enum && type is INamedTypeSymbol enumType && IsAccessible(enumType))
                {
                    kind = ParameterKind.Enum;
                    break;
                }

                return null;
        }

        object? defaultValue = parameter.HasExplicitDefaultValue ? parameter.ExplicitDefaultValue : null;
        bool isNullable = kind == ParameterKind.String
            && (type.NullableAnnotation == NullableAnnotation.Annotated || (parameter.HasExplicitDefaultValue && defaultValue == null));
        string typeName = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + (isNullable ? "?" : string.Empty);
        string? defaultLiteral = DefaultLiteral(kind, type, parameter.HasExplicitDefaultValue, defaultValue);
        if (defaultLiteral == null)
        {
            return null;
        }

        string plainName = parameter.Name;
        string escaped = SyntaxFacts.GetKeywordKind(plainName) != SyntaxKind.None ? "@" + plainName : plainName;
        RangeModel? range = kind is ParameterKind.Double or ParameterKind.Single or ParameterKind.Int32 or ParameterKind.Int64
            ? ParseRange(parameter)
            : null;
        return new ParameterModel(
            escaped,
            plainName,
            ScheduleNaming.ToPascalCase(plainName),
            ScheduleNaming.ToSnakeCase(plainName),
            kind,
            typeName,
            isNullable,
            defaultLiteral,
            range,
            docs.TryGetValue(plainName, out string? doc) ? doc : null);
    }

    /// <summary>The declared default as a literal; a parameter without one gets its type's default (documented).</summary>
    private static string? DefaultLiteral(ParameterKind kind, ITypeSymbol type, bool hasDefault, object? value)
    {
        switch (kind)
        {
            case ParameterKind.Double: return Literals.Double(hasDefault && value != null ? Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) : 0.0);
            case ParameterKind.Single: return Literals.Single(hasDefault && value != null ? Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture) : 0f);
            case ParameterKind.Int32: return Literals.Int32(hasDefault && value != null ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : 0);
            case ParameterKind.Int64: return Literals.Int64(hasDefault && value != null ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0L);
            case ParameterKind.Boolean: return Literals.Boolean(hasDefault && value is bool b && b);
            case ParameterKind.String: return hasDefault ? Literals.String(value as string) : "\"\"";
            case ParameterKind.Enum:
                string enumName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                if (!hasDefault || value == null)
                {
                    return "default(" + enumName + ")";
                }

                foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>())
                {
                    if (field.HasConstantValue && Equals(field.ConstantValue, value))
                    {
                        return enumName + "." + field.Name;
                    }
                }

                return "(" + enumName + ")(" + Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) + ")";
            default:
                return null;
        }
    }

    private static RangeModel? ParseRange(IParameterSymbol parameter)
    {
        foreach (AttributeData attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != RangeAttributeName || attribute.ConstructorArguments.Length != 2)
            {
                continue;
            }

            // RangeAttribute(double, double) and RangeAttribute(int, int); the (Type, string, string) form
            // parses at run time with a culture and is not carried (the analyzer flags nothing for it either).
            TypedConstant min = attribute.ConstructorArguments[0];
            TypedConstant max = attribute.ConstructorArguments[1];
            bool minExclusive = false;
            bool maxExclusive = false;
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "MinimumIsExclusive" && named.Value.Value is bool a)
                {
                    minExclusive = a;
                }
                else if (named.Key == "MaximumIsExclusive" && named.Value.Value is bool b)
                {
                    maxExclusive = b;
                }
            }

            if (min.Value is double dmin && max.Value is double dmax)
            {
                return new RangeModel(
                    Literals.Double(dmin),
                    Literals.Double(dmax),
                    minExclusive,
                    maxExclusive,
                    dmin == double.MinValue || double.IsNegativeInfinity(dmin) ? null : Literals.Text(dmin),
                    dmax == double.MaxValue || double.IsPositiveInfinity(dmax) ? null : Literals.Text(dmax));
            }

            if (min.Value is int imin && max.Value is int imax)
            {
                return new RangeModel(
                    Literals.Int32(imin),
                    Literals.Int32(imax),
                    minExclusive,
                    maxExclusive,
                    imin == int.MinValue ? null : Literals.Int32(imin),
                    imax == int.MaxValue ? null : Literals.Int32(imax));
            }
        }

        return null;
    }

    public static AssemblyModel ParseAssembly(Compilation compilation, CancellationToken cancellationToken)
    {
        string assemblyName = compilation.AssemblyName ?? "Assembly";
        bool hasRuntime = compilation.GetTypeByMetadataName("Ema.DecaySchedules") != null
            && compilation.GetTypeByMetadataName("Ema.DecayScheduleRegistration") != null
            && compilation.GetTypeByMetadataName(ProviderAttributeName) != null;
        bool hasModuleInitializer = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.ModuleInitializerAttribute") != null;

        var registries = new SortedSet<string>(StringComparer.Ordinal);
        if (hasRuntime)
        {
            foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Only Ema.Runtime and assemblies that reference it can carry the attribute: skip the framework cheaply.
                if (assembly.Name != RuntimeAssemblyName && !assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == RuntimeAssemblyName)))
                {
                    continue;
                }

                foreach (AttributeData attribute in assembly.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == ProviderAttributeName
                        && attribute.ConstructorArguments.Length == 1
                        && attribute.ConstructorArguments[0].Value is INamedTypeSymbol registry
                        && registry.DeclaredAccessibility == Accessibility.Public)
                    {
                        registries.Add(registry.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                    }
                }
            }
        }

        return new AssemblyModel(
            assemblyName,
            "Ema.Generated." + SanitizeIdentifier(assemblyName),
            hasRuntime,
            hasModuleInitializer,
            new EquatableArray<string>(registries));
    }

    /// <summary>"Ema.Runtime" -> "Ema_Runtime", "1st-lib" -> "_1st_lib": one identifier per assembly, no clashes with dotted names.</summary>
    public static string SanitizeIdentifier(string name)
    {
        var chars = name.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        string result = new(chars);
        return result.Length == 0 || char.IsDigit(result[0]) ? "_" + result : result;
    }

    private static bool IsGeneric(INamedTypeSymbol type)
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

    /// <summary>Generated code in the same assembly can name it: public or internal all the way out.</summary>
    private static bool IsAccessible(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current != null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPublic(INamedTypeSymbol type)
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
}
