using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Xml.Linq;
using Ema.Generators.Model;
using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Generators;

/// <summary>
/// Turns symbols into the generator's equatable model. Anything the generator cannot support yields null:
/// the analyzers (EMA0004) explain why, so the generator never reports and never throws.
/// </summary>
internal static class Parser
{
    public const string ScheduleAttributeName = EmaTypeNames.DecayScheduleAttribute;
    public const string ProviderAttributeName = EmaTypeNames.ProviderAttribute;
    private const string DecayFunctionName = EmaTypeNames.DecayFunction;
    private const string RuntimeAssemblyName = EmaTypeNames.RuntimeAssembly;

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

        // The analyzers' EMA0004 reports each problem this finds; here any problem means "emit nothing".
        AttributeData attribute = context.Attributes[0];
        INamedTypeSymbol? decayFunction = context.SemanticModel.Compilation.GetTypeByMetadataName(DecayFunctionName);
        if (ScheduleShape.Check(type, attribute, decayFunction).Count > 0
            || ScheduleShape.ReadName(attribute) is not string name
            || ScheduleShape.SelectConstructor(type) is not IMethodSymbol constructor)
        {
            return null;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var parameters = new List<ParameterModel>(constructor.Parameters.Length);
        bool isPublic = ScheduleShape.IsPublic(type);
        Dictionary<string, string> docs = ParameterDocs(constructor, cancellationToken);
        foreach (IParameterSymbol parameter in constructor.Parameters)
        {
            ParameterModel? model = ParseParameter(parameter, docs);
            if (model == null)
            {
                return null;
            }

            if (model.Kind == ParameterKind.Enum && !ScheduleShape.IsPublic((INamedTypeSymbol)parameter.Type))
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
            ScheduleNaming.ToRecordName(name),
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
                if (type.TypeKind == TypeKind.Enum)
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
        // No declared default: the parameter is required, in C# (the record's constructor takes it before decay) and
        // in config. A nullable string is the exception: config has no null (an absent key is how a null is written,
        // see EmitWrite), so its default is null and its key may be left out.
        string? defaultLiteral = parameter.HasExplicitDefaultValue ? DefaultLiteral(kind, type, defaultValue)
            : isNullable ? "null"
            : null;

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

    /// <summary>The declared default value as a C# literal of the parameter's type.</summary>
    private static string DefaultLiteral(ParameterKind kind, ITypeSymbol type, object? value)
    {
        System.Globalization.CultureInfo invariant = System.Globalization.CultureInfo.InvariantCulture;
        switch (kind)
        {
            case ParameterKind.Double: return Literals.Double(Convert.ToDouble(value, invariant));
            case ParameterKind.Single: return Literals.Single(Convert.ToSingle(value, invariant));
            case ParameterKind.Int32: return Literals.Int32(Convert.ToInt32(value, invariant));
            case ParameterKind.Int64: return Literals.Int64(Convert.ToInt64(value, invariant));
            case ParameterKind.Boolean: return Literals.Boolean(value is true);
            case ParameterKind.String: return Literals.String(value as string);
            default:
                string enumName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                if (value == null)
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

                return "(" + enumName + ")(" + Convert.ToString(value, invariant) + ")";
        }
    }

    /// <summary>The shared reading of [Range] (the analyzer's EMA0005 uses the same), as literals to emit.</summary>
    private static RangeModel? ParseRange(IParameterSymbol parameter)
    {
        if (RangeReader.Find(parameter) is not AttributeData attribute || RangeReader.Read(attribute) is not RangeData range)
        {
            return null;
        }

        if (range.IsInt32)
        {
            int min = (int)range.Minimum;
            int max = (int)range.Maximum;
            return new RangeModel(
                Literals.Int32(min),
                Literals.Int32(max),
                range.MinimumIsExclusive,
                range.MaximumIsExclusive,
                min == int.MinValue ? null : Literals.Int32(min),
                max == int.MaxValue ? null : Literals.Int32(max));
        }

        return new RangeModel(
            Literals.Double(range.Minimum),
            Literals.Double(range.Maximum),
            range.MinimumIsExclusive,
            range.MaximumIsExclusive,
            range.Minimum == double.MinValue || double.IsNegativeInfinity(range.Minimum) ? null : Literals.Text(range.Minimum),
            range.Maximum == double.MaxValue || double.IsPositiveInfinity(range.Maximum) ? null : Literals.Text(range.Maximum));
    }

    public static AssemblyModel ParseAssembly(Compilation compilation, CancellationToken cancellationToken)
    {
        string assemblyName = compilation.AssemblyName ?? "Assembly";
        bool hasRuntime = compilation.GetTypeByMetadataName(EmaTypeNames.DecaySchedules) != null
            && compilation.GetTypeByMetadataName(EmaTypeNames.Registration) != null
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
            EmaTypeNames.GeneratedNamespace + "." + RegistryNaming.Identifier(assemblyName),
            hasRuntime,
            hasModuleInitializer,
            new EquatableArray<string>(registries));
    }
}
