namespace Ema;

/// <summary>Where config warnings go when the caller passes no <c>warn</c> callback.</summary>
internal static class ConfigWarnings
{
    /// <summary>Writes "warning: ..." to standard error, where a training log shows it without mixing into stdout results.</summary>
    public static readonly Action<string> Default = message => Console.Error.WriteLine("warning: " + message);
}
