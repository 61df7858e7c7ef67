// Shared by the runtime, the generator and the analyzers (linked into each): the metadata names of the runtime's
// types that generated code calls and that the compiler-side tools look up, written once. Generated code refers to
// them as "global::" + name.
namespace Ema.Shared;

internal static class EmaTypeNames
{
    /// <summary>The runtime assembly, whose referencing assemblies may carry registries.</summary>
    public const string RuntimeAssembly = "Ema.Runtime";

    /// <summary>The namespace of the types only generated code uses (hidden from IntelliSense, as CommunityToolkit does).</summary>
    public const string InternalsNamespace = "Ema.__Internals";

    /// <summary><c>[DecaySchedule]</c>, the attribute a schedule class carries.</summary>
    public const string DecayScheduleAttribute = "Ema.DecayScheduleAttribute";

    /// <summary>The interface every schedule implements.</summary>
    public const string DecayFunction = "Ema.IDecayFunction";

    /// <summary>The base record of every schedule's parameters.</summary>
    public const string EmaParams = "Ema.EmaParams";

    /// <summary>The schedule registry (register, find by name, load from JSON).</summary>
    public const string DecaySchedules = "Ema.DecaySchedules";

    /// <summary>The assembly attribute that names an assembly's generated registry.</summary>
    public const string ProviderAttribute = InternalsNamespace + ".DecayScheduleProviderAttribute";

    /// <summary>One registry entry, made by generated code.</summary>
    public const string Registration = InternalsNamespace + ".DecayScheduleRegistration";

    /// <summary>The config source that generated binders read.</summary>
    public const string ParamsSource = InternalsNamespace + ".EmaParamsSource";

    /// <summary>The EMA engine, whose lifecycle the analyzers follow (EMA0007 to EMA0009).</summary>
    public const string ModelEma = "Ema.ModelEma";

    /// <summary>The training configuration, whose <c>FromJson</c> string constants the analyzers check.</summary>
    public const string TrainingParams = "Ema.TrainingParams";

    /// <summary>The namespace prefix of generated registries.</summary>
    public const string GeneratedNamespace = "Ema.Generated";
}
