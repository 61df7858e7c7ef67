using Microsoft.Extensions.Logging;

namespace Ema.Samples.Training;

/// <summary>
/// The sample's logger: Ema's warnings as "warning: ..." lines in the run's output. (An application would pass the
/// ILogger of its host; Microsoft.Extensions.Logging.Console is not needed for one line per warning.)
/// </summary>
/// <param name="output">Where the lines go.</param>
internal sealed class WarningWriter(TextWriter output) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            output.WriteLine("warning: " + formatter(state, exception));
        }
    }
}
