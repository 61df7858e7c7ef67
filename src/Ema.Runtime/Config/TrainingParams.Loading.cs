using System.Text;
using System.Text.Json;
using Ema.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Ema;

public sealed partial record TrainingParams
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads training parameters from SuperGradients-shaped JSON. Absent keys keep their defaults; <c>{}</c> is
    /// valid. Comments and trailing commas are allowed, as in Microsoft.Extensions.Configuration.Json.
    /// </summary>
    /// <param name="json">The JSON object.</param>
    /// <param name="logger">Receives warnings (an <c>ema_params</c> key of another schedule); null: none are written.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="EmaConfigException">
    /// An unknown key (with the closest known one), a missing <c>ema_params</c> key whose schedule constructor
    /// parameter has no default, a wrong type, null, NaN, a duplicate key or an out-of-range value.
    /// </exception>
    public static TrainingParams FromJson(string json, ILogger? logger = null) => FromJsonText(json, ConfigWarnings.To(logger));

    /// <summary>Reads training parameters from a parsed JSON object; see <see cref="FromJson(string, ILogger?)"/>.</summary>
    /// <param name="element">The JSON object.</param>
    /// <param name="logger">Receives warnings; null: none are written.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="EmaConfigException">The object is not valid training parameters.</exception>
    public static TrainingParams FromJson(JsonElement element, ILogger? logger = null) =>
        Bind(new JsonConfigObject(element, string.Empty), ConfigWarnings.To(logger));

    /// <summary>Reads training parameters from a JSON file; every error message starts with the file's path.</summary>
    /// <param name="path">The file.</param>
    /// <param name="logger">Receives warnings; null: none are written.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="EmaConfigException">The file cannot be read or is not valid training parameters.</exception>
    public static TrainingParams FromFile(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json;
        try
        {
            // A byte order mark is detected and skipped; invalid UTF-8 is an error rather than U+FFFD characters
            // that would turn into a confusing "unknown key" further on.
            json = File.ReadAllText(path, s_strictUtf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new EmaConfigException($"{path}: the training params file is not valid UTF-8 text: {e.Message}", innerException: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new EmaConfigException($"{path}: cannot read the training params file: {e.Message}", innerException: e);
        }

        try
        {
            Action<string> warn = ConfigWarnings.To(logger);
            return FromJsonText(json, message => warn($"{path}: {message}"));
        }
        catch (EmaConfigException e)
        {
            throw new EmaConfigException($"{path}: {e.Message}", e.Key, e);
        }
    }

    /// <summary>
    /// Reads training parameters from a configuration section, for example
    /// <c>configuration.GetSection("training_params")</c> over appsettings.json and the command line
    /// (<c>--training_params:ema_params:decay=0.999</c>). Pass the section, not the root: every key under it
    /// must be a training key.
    /// </summary>
    /// <param name="section">The section.</param>
    /// <param name="logger">Receives warnings; null: none are written.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="EmaConfigException">The section is not valid training parameters.</exception>
    public static TrainingParams FromConfiguration(IConfiguration section, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Bind(new ConfigurationConfigObject(section), ConfigWarnings.To(logger));
    }

    private static TrainingParams FromJsonText(string json, Action<string> warn)
    {
        using JsonDocument document = ConfigJson.Parse(json);
        return Bind(new JsonConfigObject(document.RootElement, string.Empty), warn);
    }

    private static TrainingParams Bind(ConfigObject config, Action<string> warn)
    {
        foreach (string key in config.Keys)
        {
            if (!s_keys.Any(k => config.KeyComparer.Equals(k.Name, key)))
            {
                string? closest = ScheduleNaming.Closest(key, KnownKeys);
                throw config.Error(
                    key,
                    $"{config.FullKey(key)} is not a known training key. Known keys: {string.Join(", ", KnownKeys)}."
                    + (closest != null ? $" Did you mean \"{closest}\"?" : string.Empty));
            }
        }

        var result = new TrainingParams();
        foreach (TrainingKey key in s_keys)
        {
            // Each numeric key's reader checks its TrainingRange before the setter sees the value.
            result = key.Read(config, result, warn);
        }

        // Each key is in range; the one rule between two of them, named as the config names them.
        if (result.EmaOptions.CadenceConflict(config.FullKey("ema_switch_every"), config.FullKey("ema_update_every")) is { } conflict)
        {
            throw config.Error("ema_switch_every", conflict);
        }

        return result;
    }
}
