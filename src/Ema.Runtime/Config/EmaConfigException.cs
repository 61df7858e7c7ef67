namespace Ema;

/// <summary>Bad EMA or training configuration: the message names the source, the key, the value and what is allowed.</summary>
public sealed class EmaConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the key, the value and what is allowed.</param>
    /// <param name="key">The config key at fault, if one is.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public EmaConfigException(string message, string? key = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Key = key;
    }

    /// <summary>The config key at fault (for example <c>ema_params.decay</c>), or null.</summary>
    public string? Key { get; }
}
