using Ema.Shared;

namespace Ema;

/// <summary>
/// Reads an <c>ema_params</c> object into the record of its <c>decay_type</c>, with SuperGradients' defaults
/// (absent <c>decay_type</c> is <c>exp</c>, absent <c>decay</c> is 0.9999) and strict errors for everything else.
/// </summary>
internal static class EmaParamsBinder
{
    public static EmaParams Bind(ConfigObject config, Action<string> warn)
    {
        string decayType = config.GetString(EmaConfigKeys.DecayType, EmaConfigKeys.DefaultSchedule);
        DecayScheduleRegistration registration = FindSchedule(config, decayType);
        CheckKeys(config, registration, warn);
        double decay = config.GetDouble(EmaConfigKeys.Decay, EmaParams.DefaultDecay);
        if (!EmaParams.IsValidDecay(decay))
        {
            throw config.OutOfRange(EmaConfigKeys.Decay, ConfigErrors.Format(decay), EmaParams.DecayRule);
        }

        // The generated binder checks the schedule's own keys and names them itself.
        return registration.Bind(config, decay);
    }

    private static DecayScheduleRegistration FindSchedule(ConfigObject config, string decayType)
    {
        if (DecaySchedules.TryGet(decayType, out DecayScheduleRegistration registration))
        {
            return registration;
        }

        IReadOnlyList<string> names = DecaySchedules.Names;
        string? closest = ScheduleNaming.Closest(decayType, names);
        throw config.Error(
            EmaConfigKeys.DecayType,
            $"{config.FullKey(EmaConfigKeys.DecayType)} = \"{decayType}\" is not a registered decay schedule. Known schedules: {string.Join(", ", names)}."
            + (closest != null ? $" Did you mean \"{closest}\"?" : string.Empty));
    }

    /// <summary>
    /// Every key must belong to the chosen schedule, except keys that another schedule takes: SuperGradients'
    /// recipes keep <c>beta: 15</c> when they switch to <c>threshold</c>, so those load with a warning.
    /// </summary>
    private static void CheckKeys(ConfigObject config, DecayScheduleRegistration registration, Action<string> warn)
    {
        var own = new List<string> { EmaConfigKeys.DecayType, EmaConfigKeys.Decay };
        own.AddRange(registration.Keys);
        IReadOnlyList<DecayScheduleRegistration> all = DecaySchedules.All();
        foreach (string key in config.Keys)
        {
            if (own.Contains(key, config.KeyComparer))
            {
                continue;
            }

            string[] owners = all.Where(r => r.Keys.Contains(key, config.KeyComparer)).Select(r => r.Name).ToArray();
            if (owners.Length > 0)
            {
                warn($"{config.FullKey(key)} is ignored: decay_type \"{registration.Name}\" does not take it (it is a parameter of {string.Join(", ", owners)}).");
                continue;
            }

            string? closest = ScheduleNaming.Closest(key, own) ?? ScheduleNaming.Closest(key, all.SelectMany(r => r.Keys).Distinct());
            throw config.Error(
                key,
                $"{config.FullKey(key)} is not a known key: decay_type \"{registration.Name}\" takes {string.Join(", ", own)}."
                + (closest != null ? $" Did you mean \"{closest}\"?" : string.Empty));
        }
    }
}
