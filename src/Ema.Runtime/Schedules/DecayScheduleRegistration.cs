using System.ComponentModel;

namespace Ema.__Internals;

/// <summary>
/// One registered schedule: its name, its parameters record, its config keys and how to bind them. Generated code
/// makes these; user code finds schedules through <see cref="DecaySchedules"/>. (A record creates its schedule
/// itself, <c>EmaParams.CreateSchedule</c>: the registry is only for what needs a name.)
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DecayScheduleRegistration
{
    /// <summary>Describes a schedule for <see cref="DecaySchedules.Register"/>.</summary>
    /// <param name="name">The name written in <c>decay_type</c>.</param>
    /// <param name="parametersType">The schedule's sealed <see cref="EmaParams"/> record.</param>
    /// <param name="keys">The snake_case config keys of the schedule's own parameters (not <c>decay</c> or <c>decay_type</c>).</param>
    /// <param name="bind">
    /// Reads the record from a config source, given the already checked decay; it checks each of the schedule's
    /// own keys (type, [Range], required) and throws <see cref="EmaConfigException"/> naming the key.
    /// </param>
    public DecayScheduleRegistration(
        string name,
        Type parametersType,
        IReadOnlyList<string> keys,
        Func<EmaParamsSource, double, EmaParams> bind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parametersType);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(bind);
        Name = name;
        ParametersType = parametersType;
        Keys = keys;
        Bind = bind;
    }

    /// <summary>The name written in <c>decay_type</c>.</summary>
    public string Name { get; }

    /// <summary>The schedule's sealed <see cref="EmaParams"/> record.</summary>
    public Type ParametersType { get; }

    /// <summary>The snake_case config keys of the schedule's own parameters.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Reads the parameters record from a config source, given the checked decay.</summary>
    public Func<EmaParamsSource, double, EmaParams> Bind { get; }

    /// <summary>The assembly that declares the schedule, for error messages.</summary>
    public string AssemblyName => ParametersType.Assembly.GetName().Name ?? ParametersType.Assembly.FullName ?? "?";
}
