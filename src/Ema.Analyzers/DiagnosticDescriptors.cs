using Microsoft.CodeAnalysis;

namespace Ema.Analyzers;

/// <summary>The Ema diagnostics EMA0001 to EMA0009. Ids are part of the public contract: never renumber.</summary>
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

    public static readonly DiagnosticDescriptor ScopeNotDisposed = Create(
        "EMA0007",
        DiagnosticSeverity.Warning,
        "The scope UseEmaWeights() returns is not disposed",
        "The scope {0} returns is {1}: until it is disposed the model holds the EMA weights, and the next optimizer step trains them; dispose it (using)",
        "UseEmaWeights() swaps the EMA weights into the model until the scope it returns is disposed. A scope that is discarded, or kept in a local that is never disposed, leaves the EMA weights in the model for the rest of training. Not reported where the scope visibly changes hands: returned, stored in a field or property, passed to a method, captured.");

    public static readonly DiagnosticDescriptor ModelMovedAfterEma = Create(
        "EMA0008",
        DiagnosticSeverity.Warning,
        "The model of a ModelEma is moved or converted after the EMA was made",
        "'{0}' is moved or converted by {1}() after the ModelEma of line {2} was made from it: that replaces its parameters and the EMA refuses the next Update; make the ModelEma after moving the model",
        "module.to(...), cuda(), cpu(), half(), bfloat16(), float(), double() and to_type(...) replace the module's parameters; a ModelEma made before then averages tensors the model no longer uses, so its next Update throws. Reported in one method, for the same local, parameter or field given to new ModelEma, while that EMA is alive (not after it is disposed).");

    public static readonly DiagnosticDescriptor StepInsideEmaScope = Create(
        "EMA0009",
        DiagnosticSeverity.Warning,
        "An optimizer steps while the EMA weights are in the model",
        "{0}.step() runs inside the scope of {1}: the model holds the EMA weights there, so the step trains them and its update is lost when the scope swaps the model's own weights back; step after the scope is disposed",
        "Inside using (ema.UseEmaWeights()) or after using var ... = ema.UseEmaWeights(); in the same block, the model's tensors are the EMA's. An optimizer step there updates the EMA weights and not the model's. LRScheduler.step() is not reported: it changes learning rates, no weights.");

    private static DiagnosticDescriptor Create(string id, DiagnosticSeverity severity, string title, string message, string description) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, description: description + PagePrefix + id + ".md in the Ema.Runtime package.", helpLinkUri: null);
}
