using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Ema;

public static partial class DecaySchedules
{
    // FromJson has true one-parameter overloads rather than an optional logger parameter: a method group such as
    // Func<string, EmaParams> f = DecaySchedules.FromJson needs a method with exactly that signature.

    /// <summary>
    /// Reads an <c>ema_params</c> object, for example <c>{"decay": 0.999, "decay_type": "linear"}</c>, into the
    /// typed record of its schedule; see
    /// <see cref="FromJson(string, ILogger?)"/>.
    /// </summary>
    /// <param name="json">The JSON object; comments and trailing commas are allowed, as in Microsoft.Extensions.Configuration.Json.</param>
    /// <returns>The parameters record, for example <see cref="ExpEmaParams"/>.</returns>
    /// <exception cref="EmaConfigException">
    /// The text is not a valid <c>ema_params</c> object; the message names the key, the value and what is allowed.
    /// </exception>
    public static EmaParams FromJson(string json) => FromJson(json, logger: null);

    /// <summary>
    /// Reads an <c>ema_params</c> object, for example <c>{"decay": 0.999, "decay_type": "linear"}</c>, into the
    /// typed record of its schedule. <c>{}</c> is <c>exp</c> with decay 0.9999 and beta 15 (SuperGradients' defaults).
    /// </summary>
    /// <param name="json">The JSON object; comments and trailing commas are allowed, as in Microsoft.Extensions.Configuration.Json.</param>
    /// <param name="logger">
    /// Receives warnings, such as a key of another schedule that is ignored (<c>beta</c> with <c>threshold</c>).
    /// Null: none are written.
    /// </param>
    /// <returns>The parameters record, for example <see cref="ExpEmaParams"/>.</returns>
    /// <exception cref="EmaConfigException">
    /// Invalid JSON, an unknown <c>decay_type</c> or key, a missing key whose schedule constructor parameter has
    /// no default, a value of the wrong type, null, NaN, infinity, a duplicate key or a value outside its range.
    /// The message names the key, the value and what is allowed.
    /// </exception>
    public static EmaParams FromJson(string json, ILogger? logger)
    {
        using JsonDocument document = ConfigJson.Parse(json);
        return FromJson(document.RootElement, logger);
    }

    /// <summary>
    /// Reads an <c>ema_params</c> object from a parsed JSON element; see <see cref="FromJson(string, ILogger?)"/>.
    /// </summary>
    /// <param name="element">The JSON object.</param>
    /// <returns>The parameters record.</returns>
    /// <exception cref="EmaConfigException">The object is not valid <c>ema_params</c>.</exception>
    public static EmaParams FromJson(JsonElement element) => FromJson(element, logger: null);

    /// <summary>Reads an <c>ema_params</c> object from a parsed JSON element; see <see cref="FromJson(string, ILogger?)"/>.</summary>
    /// <param name="element">The JSON object.</param>
    /// <param name="logger">Receives warnings; null: none are written.</param>
    /// <returns>The parameters record.</returns>
    /// <exception cref="EmaConfigException">The object is not valid <c>ema_params</c>.</exception>
    public static EmaParams FromJson(JsonElement element, ILogger? logger) =>
        EmaParamsBinder.Bind(new JsonConfigObject(element, string.Empty), ConfigWarnings.To(logger));

    /// <summary>
    /// Reads an <c>ema_params</c> section from Microsoft.Extensions.Configuration, for example
    /// <c>configuration.GetSection("ema_params")</c> over appsettings.json or the command line
    /// (<c>--ema_params:decay_type=threshold</c>). Values are parsed with the invariant culture; keys are case-insensitive.
    /// </summary>
    /// <param name="section">The section.</param>
    /// <param name="logger">Receives warnings; null: none are written.</param>
    /// <returns>The parameters record.</returns>
    /// <exception cref="EmaConfigException">The section is not valid <c>ema_params</c>; the key is the section path.</exception>
    public static EmaParams FromConfiguration(IConfiguration section, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        return EmaParamsBinder.Bind(new ConfigurationConfigObject(section), ConfigWarnings.To(logger));
    }
}
