namespace Ema;

/// <summary>Shared wording for config errors.</summary>
internal static class ConfigErrors
{
    /// <summary>
    /// The message of a validation exception without the " (Parameter 'x')" and "Actual value was" lines that
    /// ArgumentOutOfRangeException appends: the config error names the key itself.
    /// </summary>
    public static string Describe(ArgumentException exception)
    {
        string message = exception.Message;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
        {
            message = message[..newline].TrimEnd('\r');
        }

        string suffix = $" (Parameter '{exception.ParamName}')";
        return message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }
}
