using Ema.Analyzers.Json;
using Ema.Analyzers.Schedules;
using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers;

/// <summary>
/// EMA0001, EMA0002, EMA0005 and EMA0006 in JSON config files given to the build as
/// <c>&lt;AdditionalFiles Include="train.json" /&gt;</c>, and in string constants passed to
/// <c>DecaySchedules.FromJson</c> (an ema_params object) or <c>TrainingParams.FromJson</c> (its <c>"ema_params"</c>
/// key), reported inside the literal (<see cref="StringConstantSite"/>). A file is checked when its name ends in .json and
/// it holds an <c>"ema_params"</c> object at any depth (SuperGradients' training params, possibly nested in
/// a recipe) or its root object has a string <c>"decay_type"</c> and no <c>"ema_params"</c> (a bare ema_params
/// object). Other JSON files
/// (appsettings.json, data) are never touched.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class JsonConfigAnalyzer : EmaAnalyzer
{
    private const string EmaParamsKey = EmaConfigKeys.EmaParams;
    private const string DecayKey = EmaConfigKeys.Decay;
    private const string DecayTypeKey = EmaConfigKeys.DecayType;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.DecayOutOfRange,
        DiagnosticDescriptors.UnknownSchedule,
        DiagnosticDescriptors.ParameterOutOfRange,
        DiagnosticDescriptors.UnknownKey);

    /// <inheritdoc/>
    private protected override void Register(CompilationStartAnalysisContext start, EmaSymbols symbols)
    {
        Compilation compilation = start.Compilation;
        start.RegisterAdditionalFileAction(c => AnalyzeFile(c, symbols, compilation));
        if (symbols.DecaySchedules is not null || symbols.TrainingParams is not null)
        {
            start.RegisterOperationAction(c => AnalyzeFromJson(c, symbols, compilation), OperationKind.Invocation);
        }
    }

    /// <summary>A constant passed as the string <c>json</c> of DecaySchedules.FromJson or TrainingParams.FromJson.</summary>
    private static void AnalyzeFromJson(OperationAnalysisContext context, EmaSymbols symbols, Compilation compilation)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;
        bool isSchedules = SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.DecaySchedules);
        if (method.Name != "FromJson" || !(isSchedules || SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.TrainingParams)))
        {
            return;
        }

        IArgumentOperation? argument = invocation.Arguments.FirstOrDefault(a => a.Parameter is { Name: "json", Type.SpecialType: SpecialType.System_String });
        if (argument?.Value.ConstantValue is not { HasValue: true, Value: string json } ||
            argument.Value.Syntax is not ExpressionSyntax expression ||
            JsonScanner.Parse(json) is not JsonObject root)
        {
            return;
        }

        // DecaySchedules.FromJson reads an ema_params object; TrainingParams.FromJson reads one under its root key.
        JsonObject? emaParams = isSchedules ? root : root.Find(EmaParamsKey)?.Value as JsonObject;
        if (emaParams is not null)
        {
            JsonSite site = StringConstantSite.For(expression, json);
            AnalyzeEmaParams(context.ReportDiagnostic, site, emaParams, ScheduleCatalog.For(compilation, symbols), symbols.DecayRange);
        }
    }

    /// <summary>The ema_params-shaped objects of a config file, in document order.</summary>
    internal static IEnumerable<JsonObject> FindEmaParams(JsonNode root)
    {
        if (root is JsonObject rootObject && rootObject.Find(DecayTypeKey)?.Value is JsonString && rootObject.Find(EmaParamsKey) is null)
        {
            yield return rootObject;
        }

        foreach (JsonObject found in FindNested(root))
        {
            yield return found;
        }
    }

    private static IEnumerable<JsonObject> FindNested(JsonNode node)
    {
        IEnumerable<JsonNode> children = node switch
        {
            JsonObject o => o.Properties.Select(p => p.Value),
            JsonArray a => a.Items,
            _ => Enumerable.Empty<JsonNode>(),
        };
        if (node is JsonObject obj)
        {
            foreach (JsonProperty property in obj.Properties)
            {
                if (property.Name == EmaParamsKey && property.Value is JsonObject emaParams)
                {
                    yield return emaParams;
                }
            }
        }

        foreach (JsonNode child in children)
        {
            foreach (JsonObject found in FindNested(child))
            {
                yield return found;
            }
        }
    }

    private static void AnalyzeFile(AdditionalFileAnalysisContext context, EmaSymbols symbols, Compilation compilation)
    {
        AdditionalText file = context.AdditionalFile;
        if (!file.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ||
            file.GetText(context.CancellationToken) is not { } text)
        {
            return;
        }

        string content = text.ToString();

        // Cheap filter before parsing: most JSON files in a project are not training configs.
        if (content.IndexOf(EmaParamsKey, StringComparison.Ordinal) < 0 && content.IndexOf(DecayTypeKey, StringComparison.Ordinal) < 0)
        {
            return;
        }

        if (JsonScanner.Parse(content) is not { } root)
        {
            return;
        }

        ScheduleCatalog? catalog = null;
        foreach (JsonObject emaParams in FindEmaParams(root))
        {
            catalog ??= ScheduleCatalog.For(compilation, symbols);
            AnalyzeEmaParams(context.ReportDiagnostic, new JsonFileSite(file.Path, text), emaParams, catalog, symbols.DecayRange);
        }
    }

    /// <summary>The checks of one ema_params object, wherever its JSON lives.</summary>
    private static void AnalyzeEmaParams(Action<Diagnostic> report, JsonSite site, JsonObject emaParams, ScheduleCatalog catalog, RangeData? decayRange)
    {
        Location At(TextSpan span) => site.Locate(span);
        ImmutableDictionary<string, string?>? Replacement(TextSpan span, string json) =>
            site.Encode(span, json) is { } text ? ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.ReplacementProperty, text) : null;

        if (emaParams.Find(DecayKey)?.Value is JsonNumber decay && decayRange is not null && !decayRange.Contains(decay.Value))
        {
            report(Diagnostic.Create(
                DiagnosticDescriptors.DecayOutOfRange,
                At(decay.Span),
                Replacement(decay.Span, "0.9999"),
                decay.Text,
                "\"decay\" in ema_params, read into Ema.EmaParams.Decay"));
        }

        ScheduleInfo? schedule = null;
        JsonNode? decayType = emaParams.Find(DecayTypeKey)?.Value;
        if (decayType is JsonString typeName)
        {
            schedule = catalog.FindByName(typeName.Value);
            if (schedule is null && !catalog.Names.IsEmpty)
            {
                string? closest = ScheduleNaming.Closest(typeName.Value, catalog.Names);
                report(Diagnostic.Create(
                    DiagnosticDescriptors.UnknownSchedule,
                    At(typeName.Span),
                    closest is null ? null : Replacement(typeName.Span, JsonQuote(closest)),
                    typeName.Value,
                    ScheduleNameAnalyzer.DidYouMean(closest),
                    catalog.DescribeNames(),
                    catalog.Origins));
            }
        }
        else if (decayType is null)
        {
            schedule = catalog.FindByName(EmaConfigKeys.DefaultSchedule);
        }

        foreach (JsonProperty property in emaParams.Properties)
        {
            if (ScheduleCatalog.CommonKeys.Contains(property.Name))
            {
                continue;
            }

            if (!catalog.Keys.Contains(property.Name))
            {
                string? closest = ScheduleNaming.Closest(property.Name, catalog.Keys);
                report(Diagnostic.Create(
                    DiagnosticDescriptors.UnknownKey,
                    At(property.NameSpan),
                    closest is null ? null : Replacement(property.NameSpan, JsonQuote(closest)),
                    property.Name,
                    ScheduleNameAnalyzer.DidYouMean(closest),
                    string.Join(", ", catalog.Keys),
                    catalog.Origins));
                continue;
            }

            // A key of another schedule is ignored at run time (with a warning), so its value does not matter.
            if (schedule?.FindByKey(property.Name) is { Range: { } range } parameter &&
                property.Value is JsonNumber number && !range.Contains(number.Value))
            {
                report(Diagnostic.Create(
                    DiagnosticDescriptors.ParameterOutOfRange,
                    At(number.Span),
                    property.Name,
                    number.Text,
                    range.Describe(),
                    parameter.Name,
                    "schedule '" + schedule.Name + "', " + schedule.Origin));
            }
        }
    }

    // Keys and names suggested here come from C# identifiers and schedule names: nothing to escape.
    private static string JsonQuote(string value) => "\"" + value + "\"";
}
