// Shared by the runtime, the generator and the analyzers (linked into each): the config words every Ema
// ema_params object has, whatever its schedule, written once.
namespace Ema.Shared;

internal static class EmaConfigKeys
{
    /// <summary>The key of the maximum decay, <c>EmaParams.Decay</c>.</summary>
    public const string Decay = "decay";

    /// <summary>The key that names the schedule.</summary>
    public const string DecayType = "decay_type";

    /// <summary>SuperGradients' schedule when <c>decay_type</c> is absent.</summary>
    public const string DefaultSchedule = "exp";

    /// <summary>The training params key that holds the <c>ema_params</c> object.</summary>
    public const string EmaParams = "ema_params";
}
