using Microsoft.Extensions.Logging;

namespace Ema;

/// <summary>
/// Where the library's warnings go: the caller's <see cref="ILogger"/> at <see cref="LogLevel.Warning"/>, or nowhere
/// without one (a .NET library stays quiet unless asked to log). Internally a warning is an <c>Action&lt;string&gt;</c>,
/// made here once per call or object.
/// </summary>
internal static class ConfigWarnings
{
    /// <summary>The event id of every Ema warning, for filtering.</summary>
    public static readonly EventId Event = new(1, "Ema");

    /// <summary>Writes each message to <paramref name="logger"/> as a warning; drops it when there is no logger.</summary>
    public static Action<string> To(ILogger? logger) =>
        logger is null ? static _ => { } : message => logger.Log(LogLevel.Warning, Event, message, null, static (text, _) => text);
}
