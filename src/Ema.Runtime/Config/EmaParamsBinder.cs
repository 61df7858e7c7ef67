using Ema.Shared;

namespace Ema;

/// <summary>
/// Reads an <c>ema_params</c> object into the record of its <c>decay_type</c>, with SuperGradients' defaults
/// (absent <c>decay_type</c> is <c>exp</c>, absent <c>decay</c> is 0.9999) and strict errors for everything else.
/// </summary>
internal static class EmaParamsBinder
{
    public const string DecayTypeKey = "decay_type";
    public const string DecayKey = "decay";

    /// <summary>SuperGradients' default schedule when <c>decay_type</c> is absent.</summary>
    public const string DefaultDecayType = "exp";

    public static EmaParams Bind(ConfigObject config, Action<string>? warn)
    {
        warn ??= ConfigWarnings.Default;
        string decayType = config.GetString(DecayTypeKey, DefaultDecayType)!;
        DecayScheduleRegistration registration = FindSchedule(config, decayType);
        CheckKeys(config, registration, warn);
        try
        {
            return registration.Bind(config);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Generated validation (and EmaParams.Decay) name the parameter; the config error names the key.
            string key = MatchKey(e.ParamName, registration.Keys.Prepend(DecayKey));
            throw config.Error(key, $"{config.FullKey(key)}: {ConfigErrors.Describe(e)}", e);
        }
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
            DecayTypeKey,
            $"{config.FullKey(DecayTypeKey)} = \"{decayType}\" is not a registered decay schedule. Known schedules: {string.Join(", ", names)}."
            + (closest != null ? $" Did you mean \"{closest}\"?" : string.Empty));
    }

    /// <summary>
    /// Every key must belong to the chosen schedule, except keys that another schedule takes: SuperGradients'
    /// recipes keep <c>beta: 15</c> when they switch to <c>threshold</c>, so those load with a warning.
    /// </summary>
    private static void CheckKeys(ConfigObject config, DecayScheduleRegistration registration, Action<string> warn)
    {
        var own = new List<string> { DecayTypeKey, DecayKey };
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

    /// <summary>"Beta" -> "beta", "WarmupSteps" -> "warmup_steps": the key whose letters match the parameter name.</summary>
    internal static string MatchKey(string? paramName, IEnumerable<string> keys)
    {
        string normalized = (paramName ?? string.Empty).Replace("_", string.Empty, StringComparison.Ordinal);
        return keys.FirstOrDefault(k => string.Equals(k.Replace("_", string.Empty, StringComparison.Ordinal), normalized, StringComparison.OrdinalIgnoreCase))
            ?? paramName ?? "?";
    }
}
