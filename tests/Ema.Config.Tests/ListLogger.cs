using Microsoft.Extensions.Logging;

namespace Ema.Testing;

/// <summary>An <see cref="ILogger"/> that keeps each message it is given, for tests that check the library's warnings.</summary>
/// <param name="messages">Where the formatted messages go.</param>
public sealed class ListLogger(ICollection<string> messages) : ILogger
{
    /// <summary>The levels logged, in order, beside the messages.</summary>
    public List<LogLevel> Levels { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Levels.Add(logLevel);
        messages.Add(formatter(state, exception));
    }
}
