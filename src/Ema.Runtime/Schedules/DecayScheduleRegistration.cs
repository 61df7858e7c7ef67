using System.ComponentModel;

namespace Ema;

/// <summary>
/// One registered schedule: its name, its parameters record, and how to bind and create it. Generated code
/// makes these; user code finds schedules through <see cref="DecaySchedules"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DecayScheduleRegistration
{
    /// <summary>Describes a schedule for <see cref="DecaySchedules.Register"/>.</summary>
    /// <param name="name">The name written in <c>decay_type</c>.</param>
    /// <param name="parametersType">The schedule's sealed <see cref="EmaParams"/> record.</param>
    /// <param name="keys">The snake_case config keys of the schedule's own parameters (not <c>decay</c> or <c>decay_type</c>).</param>
    /// <param name="create">Creates the schedule from its parameters record.</param>
    /// <param name="bind">Reads the parameters record from a config source.</param>
    public DecayScheduleRegistration(
        string name,
        Type parametersType,
        IReadOnlyList<string> keys,
        Func<EmaParams, IDecayFunction> create,
        Func<EmaParamsSource, EmaParams> bind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parametersType);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(bind);
        Name = name;
        ParametersType = parametersType;
        Keys = keys;
        Create = create;
        Bind = bind;
    }

    /// <summary>The name written in <c>decay_type</c>.</summary>
    public string Name { get; }

    /// <summary>The schedule's sealed <see cref="EmaParams"/> record.</summary>
    public Type ParametersType { get; }

    /// <summary>The snake_case config keys of the schedule's own parameters.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Creates the schedule from its parameters record.</summary>
    public Func<EmaParams, IDecayFunction> Create { get; }

    /// <summary>Reads the parameters record from a config source.</summary>
    public Func<EmaParamsSource, EmaParams> Bind { get; }

    /// <summary>The assembly that declares the schedule, for error messages.</summary>
    public string AssemblyName => ParametersType.Assembly.GetName().Name ?? ParametersType.Assembly.FullName ?? "?";
}
