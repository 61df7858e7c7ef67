namespace Ema;

/// <summary>
/// The allowed range of one numeric training key, the one rule its property setter and the config binder both check:
/// the setter throws <see cref="ArgumentOutOfRangeException"/> to code callers, the binder checks the read value
/// first and throws <see cref="EmaConfigException"/> naming the key, the value and what is allowed. The record that
/// owns the property declares it (<c>TrainingParams.Ranges</c>; the EMA's options in <c>ModelEmaOptions.Ranges</c>).
/// </summary>
/// <param name="Property">The property's name (the exception's parameter name).</param>
/// <param name="Key">The config key (<c>max_epochs</c>).</param>
/// <param name="Allows">Whether a value lies in the range.</param>
/// <param name="Allowed">What is allowed, as messages say it (<c>at least 1</c>).</param>
/// <param name="Owner">
/// The type whose setter names the property (<c>ModelEmaOptions</c>: "ModelEmaOptions.UpdateEvery = 0 is outside the
/// allowed range: it must be at least 1."), or null for a setter that names the key (<c>TrainingParams</c>).
/// </param>
internal sealed record TrainingRange(string Property, string Key, Func<double, bool> Allows, string Allowed, string? Owner = null)
{
    private string Rule => $"{Key} must be {Allowed}";

    /// <summary>The value, or <see cref="ArgumentOutOfRangeException"/> (for property setters).</summary>
    public T Checked<T>(T value) where T : System.Numerics.INumber<T> =>
        Allows(double.CreateChecked(value))
            ? value
            : throw ConfigErrors.ArgumentOutOfRange(Property, SetterMessage(ConfigErrors.Format(double.CreateChecked(value))));

    /// <summary>The value read from <paramref name="config"/>, or its error under <see cref="Key"/> (for the binder, before any setter).</summary>
    public T CheckedIn<T>(ConfigObject config, T value) where T : System.Numerics.INumber<T> =>
        Allows(double.CreateChecked(value))
            ? value
            : throw config.OutOfRange(Key, ConfigErrors.Format(double.CreateChecked(value)), Rule);

    private string SetterMessage(string value) => Owner is null
        ? ConfigErrors.OutOfRange(Key, value, Rule)
        : ConfigErrors.OutOfRange($"{Owner}.{Property}", value, $"it must be {Allowed}");
}
