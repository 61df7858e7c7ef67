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
    private static readonly List<string> s_conflicts = new();

    /// <summary>The registered schedule names, sorted.</summary>
    /// <exception cref="InvalidOperationException">Two assemblies registered one name.</exception>
    public static IReadOnlyList<string> Names
    {
        get
        {
            EnsureBuiltIns();
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
    public static IDecayFunction Create(EmaParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.NewSchedule();
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
        }
    }

    /// <summary>Finds a registration by name.</summary>
    internal static bool TryGet(string name, out DecayScheduleRegistration registration)
    {
        EnsureBuiltIns();
        lock (s_gate)
        {
            ThrowOnConflicts();
            return s_byName.TryGetValue(name, out registration!);
        }
    }

    /// <summary>All registrations, sorted by name.</summary>
    internal static IReadOnlyList<DecayScheduleRegistration> All()
    {
        EnsureBuiltIns();
        lock (s_gate)
        {
            ThrowOnConflicts();
            return s_byName.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>
    /// The built-ins are [DecaySchedule] classes of this assembly, registered by its generated registry from its
    /// module initializer; calling it (idempotent) makes a lookup safe even if that did not run yet. Called before
    /// taking <c>s_gate</c>, so locks are always taken in one order (a registry's, then this one's).
    /// </summary>
    private static void EnsureBuiltIns() => global::Ema.Generated.Ema_Runtime.DecayScheduleRegistry.Register();

    private static void ThrowOnConflicts()
    {
        if (s_conflicts.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, s_conflicts));
        }
    }
}
