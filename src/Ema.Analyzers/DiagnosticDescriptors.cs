using Microsoft.CodeAnalysis;

namespace Ema.Analyzers;

/// <summary>The Ema diagnostics EMA0001 to EMA0006. Ids are part of the public contract: never renumber.</summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "Ema";

    /// <summary>Diagnostic property with the exact text that replaces the diagnostic's span (read by the code fixes).</summary>
    public const string ReplacementProperty = "Replacement";

    // No helpLinkUri: the project has no public address yet, and a link that does not resolve is worse than none.
    // Each id's page ships in the package (docs/diagnostics/EMA000N.md), and the description says so.
    private const string PagePrefix = " Help: docs/diagnostics/";

    public static readonly DiagnosticDescriptor DecayOutOfRange = Create(
        "EMA0001",
        DiagnosticSeverity.Error,
        "EMA decay outside (0, 1)",
        "decay = {0} is outside the allowed range: an EMA decay must lie in the open interval (0, 1) ({1}); SuperGradients' default is 0.9999",
        "EmaParams.Decay must lie in the open interval (0, 1): 0 would discard the average, 1 or more would never update or diverge.");

    public static readonly DiagnosticDescriptor UnknownSchedule = Create(
        "EMA0002",
        DiagnosticSeverity.Error,
        "Unknown decay schedule name",
        "Unknown decay schedule '{0}'{1}: the known schedules are {2} (classes marked [DecaySchedule] in {3})",
        "A decay_type or schedule name must name a class marked [DecaySchedule] in this project or a referenced assembly.");

    public static readonly DiagnosticDescriptor DuplicateSchedule = Create(
        "EMA0003",
        DiagnosticSeverity.Error,
        "Two decay schedules with one name or one record",
        "The decay schedule {0} is declared twice: by {1} and by {2}; decay_type selects a schedule by name and each schedule gets its own EmaParams record, so both must be unique",
        "Every [DecaySchedule] name must be unique across the project and the assemblies it references, and two schedules of one namespace must not give one record name ('warm-cosine' and 'warm_cosine' both give WarmCosineEmaParams): the Ema source generator emits neither, so neither name is registered.");

    public static readonly DiagnosticDescriptor InvalidSchedule = Create(
        "EMA0004",
        DiagnosticSeverity.Error,
        "Class cannot be a decay schedule",
        "[DecaySchedule] on '{0}' is invalid: {1} (a rule of the Ema source generator, which gives such a class no EmaParams record and no entry in the schedule registry)",
        "A [DecaySchedule] class must be a non-abstract, non-generic class (or record class), not private or protected, implementing Ema.IDecayFunction with a public constructor whose parameters are double, float, int, long, bool, string or accessible enums, each giving its own property and config key; its name must be a letter followed by letters, digits, '-' or '_'. The generator skips any other class.");

    public static readonly DiagnosticDescriptor ParameterOutOfRange = Create(
        "EMA0005",
        DiagnosticSeverity.Error,
        "Schedule parameter outside its declared range",
        "{0} = {1} is outside the allowed range: it must be {2} ([Range] on parameter '{3}' of {4})",
        "A schedule's constructor parameters declare their ranges with [Range]; constants outside them fail at run time, so they are rejected at compile time.");

    public static readonly DiagnosticDescriptor UnknownKey = Create(
        "EMA0006",
        DiagnosticSeverity.Warning,
        "Unknown key in ema_params",
        "Unknown key '{0}' in ema_params{1}: no registered schedule takes it; the known keys are {2} (decay, decay_type and the snake_case constructor parameters of the classes marked [DecaySchedule] in {3})",
        "Keys in an ema_params object are decay, decay_type and the snake_case constructor parameters of the registered schedules; any other key is an error when the config is loaded.");

    private static DiagnosticDescriptor Create(string id, DiagnosticSeverity severity, string title, string message, string description) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, description: description + PagePrefix + id + ".md in the Ema.Runtime package.", helpLinkUri: null);
}
