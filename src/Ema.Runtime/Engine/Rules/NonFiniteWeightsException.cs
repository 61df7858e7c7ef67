namespace Ema;

/// <summary>The model's weights held NaN or infinity at an EMA update (with <see cref="NonFinitePolicy.Throw"/>).</summary>
public sealed class NonFiniteWeightsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was found, and at which step.</param>
    /// <param name="step">The step whose update was refused.</param>
    public NonFiniteWeightsException(string message, long step)
        : base(message)
    {
        Step = step;
    }

    /// <summary>The step whose update was refused.</summary>
    public long Step { get; }
}
