using System.ComponentModel;

namespace Ema;

/// <summary>
/// The registry of decay schedules by name. Schedules annotated with <see cref="DecayScheduleAttribute"/> are
/// registered by generated code: nobody registers anything by hand.
/// </summary>
public static partial class DecaySchedules
{
    private static readonly object s_gate = new();
    private static readonly Dictionary<string, DecayScheduleRegistration> s_byName = new(StringComparer.Ordinal);
    private static readonly Dictionary<Type, DecayScheduleRegistration> s_byType = new();
    private static readonly List<string> s_conflicts = new();

    static DecaySchedules()
    {
        // The built-ins are [DecaySchedule] classes of this assembly: its generated registry registers them.
        // Its module initializer normally ran already; the call makes lookups safe even if it did not.
        global::Ema.Generated.Ema_Runtime.DecayScheduleRegistry.Register();
    }

    /// <summary>The registered schedule names, sorted.</summary>
    /// <exception cref="InvalidOperationException">Two assemblies registered one name.</exception>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (s_gate)
            {
                ThrowOnConflicts();
                return s_byName.Keys.Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>Creates the schedule that <paramref name="parameters"/> describes.</summary>
    /// <param name="parameters">A schedule's parameters record.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="InvalidOperationException">The record's schedule is not registered.</exception>
    public static IDecayFunction Create(EmaParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        DecayScheduleRegistration registration = GetByType(parameters.GetType());
        return registration.Create(parameters);
    }

    /// <summary>Computes the decay that <paramref name="parameters"/> give at one step.</summary>
    /// <param name="parameters">A schedule's parameters record.</param>
    /// <param name="step">The current training step.</param>
    /// <param name="totalSteps">The total number of training steps.</param>
    /// <returns>The decay.</returns>
    public static double Compute(EmaParams parameters, long step, long totalSteps) =>
        Create(parameters).Compute(parameters.Decay, step, totalSteps);

    /// <summary>Registers a schedule. Called by generated code; registering the same record type twice is a no-op.</summary>
    /// <param name="registration">The schedule.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Register(DecayScheduleRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        lock (s_gate)
        {
            if (s_byName.TryGetValue(registration.Name, out DecayScheduleRegistration? existing))
            {
                if (existing.ParametersType != registration.ParametersType)
                {
                    // Thrown on the next lookup, not here: registration runs in module initializers, where an
                    // exception would surface as an unrelated type-load failure.
                    s_conflicts.Add(
                        $"The decay schedule name '{registration.Name}' is registered twice: by {existing.ParametersType.FullName} in assembly " +
                        $"'{existing.AssemblyName}' and by {registration.ParametersType.FullName} in assembly '{registration.AssemblyName}'. " +
                        "Rename one of the [DecaySchedule] classes.");
                }

                return;
            }

            s_byName.Add(registration.Name, registration);
            s_byType[registration.ParametersType] = registration;
        }
    }

    /// <summary>Finds a registration by name.</summary>
    internal static bool TryGet(string name, out DecayScheduleRegistration registration)
    {
        lock (s_gate)
        {
            ThrowOnConflicts();
            return s_byName.TryGetValue(name, out registration!);
        }
    }

    /// <summary>All registrations, sorted by name.</summary>
    internal static IReadOnlyList<DecayScheduleRegistration> All()
    {
        lock (s_gate)
        {
            ThrowOnConflicts();
            return s_byName.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        }
    }

    private static DecayScheduleRegistration GetByType(Type parametersType)
    {
        lock (s_gate)
        {
            ThrowOnConflicts();
            if (s_byType.TryGetValue(parametersType, out DecayScheduleRegistration? registration))
            {
                return registration;
            }
        }

        throw new InvalidOperationException(
            $"No decay schedule is registered for {parametersType.FullName}. Registered schedules: {string.Join(", ", Names)}. " +
            "Schedules are registered by the Ema generator for classes marked [DecaySchedule]; make sure the assembly that declares it references the Ema.Runtime package.");
    }

    private static void ThrowOnConflicts()
    {
        if (s_conflicts.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, s_conflicts));
        }
    }
}
