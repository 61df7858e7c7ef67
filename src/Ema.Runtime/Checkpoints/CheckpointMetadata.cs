using System.Globalization;
using System.Text.Json;

namespace Ema;

/// <summary>The <c>__metadata__</c> keys of a checkpoint and their string encoding (safetensors metadata is string to string).</summary>
internal static class CheckpointMetadata
{
    public const string Version = "1";
    public const string VersionKey = "ema_checkpoint_version";
    public const string EpochKey = "epoch";
    public const string GlobalStepKey = "global_step";
    public const string BestMetricKey = "best_metric";
    public const string EmaKey = "ema";
    public const string EmaStepKey = "ema_step";
    public const string EmaParamsKey = Shared.EmaConfigKeys.EmaParams;
    public const string EmaUpdateEveryKey = "ema_update_every";
    public const string OptimizerFormatKey = "optimizer_format";
    public const string OptimizerSha256Key = "optimizer_sha256";

    public static Dictionary<string, string> Build(int epoch, long globalStep, double? bestMetric, ModelEma? ema, byte[]? optimizerState)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // "pt" tells Python's safetensors tools the tensors follow PyTorch's conventions.
            ["format"] = "pt",
            [VersionKey] = Version,
            [EpochKey] = epoch.ToString(CultureInfo.InvariantCulture),
            [GlobalStepKey] = globalStep.ToString(CultureInfo.InvariantCulture),
            [EmaKey] = ema is null ? "false" : "true",
        };
        if (bestMetric is { } best)
        {
            metadata[BestMetricKey] = best.ToString("R", CultureInfo.InvariantCulture);
        }

        if (ema is not null)
        {
            metadata[EmaStepKey] = ema.Step.ToString(CultureInfo.InvariantCulture);
            metadata[EmaUpdateEveryKey] = ema.Options.UpdateEvery.ToString(CultureInfo.InvariantCulture);
            foreach ((string key, string value) in EmaParamsMetadata(ema.EmaParams))
            {
                // A schedule parameter named like one of the checkpoint's own keys (epoch, ema_step...) must not
                // overwrite it; its value is still in the ema_params JSON.
                metadata.TryAdd(key, value);
            }
        }

        if (optimizerState is not null)
        {
            metadata[OptimizerFormatKey] = OptimizerStateBlob.Format;
            metadata[OptimizerSha256Key] = Sha256(optimizerState);
        }

        return metadata;
    }

    /// <summary>
    /// The EMA parameters as metadata strings: the whole record as SuperGradients-shaped JSON under
    /// <c>ema_params</c> (it loads back with <see cref="DecaySchedules.FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/>), and each
    /// value under its own key (<c>decay_type</c>, <c>decay</c>, <c>beta</c>, ...) for readers that want one value.
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, string>> EmaParamsMetadata(EmaParams parameters)
    {
        string json = parameters.ToJson();
        yield return new(EmaParamsKey, json);
        using JsonDocument document = JsonDocument.Parse(json);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            string value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            yield return new(property.Name, value);
        }
    }

    /// <summary>
    /// The optimizer state is TorchSharp's own length-prefixed format, parsed into the live optimizer: a flipped bit
    /// there could ask for a huge tensor or half-load it. Its SHA-256, written beside it, refuses such a blob before
    /// it is parsed. Files without the key (written before it existed) are loaded unchecked.
    /// </summary>
    public static void VerifyOptimizerState(CheckpointContent content, byte[] state)
    {
        if (content.Metadata.TryGetValue(OptimizerSha256Key, out string? expected) && !string.Equals(expected, Sha256(state), StringComparison.Ordinal))
        {
            throw new CheckpointException(content.Path, $"the optimizer state does not match its SHA-256 in __metadata__ '{OptimizerSha256Key}': the file is corrupted.", CheckpointKeys.OptimizerState);
        }
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));

    /// <summary>
    /// Refuses a file of a newer checkpoint format, whose meaning this version cannot know. A file without the key
    /// (a safetensors file from another tool with <c>net.</c> / <c>ema_net.</c> names) is read as version 1.
    /// </summary>
    public static void CheckVersion(CheckpointContent content)
    {
        if (content.FormatVersion is { } text && !string.Equals(text, Version, StringComparison.Ordinal))
        {
            bool newer = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int version) && version > int.Parse(Version, CultureInfo.InvariantCulture);
            throw new CheckpointException(content.Path,
                $"__metadata__ '{VersionKey}' = '{text}': this Ema reads checkpoint format {Version} only{(newer ? "; a file of a newer format needs a newer Ema" : string.Empty)}.");
        }
    }

    /// <summary>
    /// Refuses to continue an EMA at another cadence than the one that wrote the checkpoint: the trajectory so far
    /// used d^k every k steps, the rest would use another k, and the two would mix without a word. A file without
    /// the key (written before it existed) is not checked.
    /// </summary>
    public static void CheckUpdateEvery(CheckpointContent content, ModelEma ema)
    {
        if (content.Metadata.ContainsKey(EmaUpdateEveryKey))
        {
            long saved = ParseLong(content, EmaUpdateEveryKey, 1, int.MaxValue);
            if (saved != ema.Options.UpdateEvery)
            {
                throw new CheckpointException(content.Path, string.Create(CultureInfo.InvariantCulture,
                    $"the checkpoint's EMA was updated every {saved} steps (__metadata__ '{EmaUpdateEveryKey}' = {saved}), this run's every {ema.Options.UpdateEvery} (ema_update_every / ModelEmaOptions.UpdateEvery); resuming would mix two EMA trajectories. Resume with ema_update_every = {saved}."));
            }
        }
    }

    public static CheckpointInfo Parse(CheckpointContent content)
    {
        CheckVersion(content);
        IReadOnlyDictionary<string, string> metadata = content.Metadata;
        bool hasEma = content.Has(CheckpointKeys.EmaNet);
        return new CheckpointInfo
        {
            Epoch = (int)ParseLong(content, EpochKey, 0, int.MaxValue),
            GlobalStep = ParseLong(content, GlobalStepKey, 0),
            BestMetric = metadata.TryGetValue(BestMetricKey, out string? best) ? ParseDouble(content, BestMetricKey, best) : null,
            HasEma = hasEma,
            EmaStep = metadata.ContainsKey(EmaStepKey) ? ParseLong(content, EmaStepKey, 0) : null,
            Metadata = metadata,
        };
    }

    private static long ParseLong(CheckpointContent content, string key, long fallback, long max = long.MaxValue)
    {
        if (!content.Metadata.TryGetValue(key, out string? text))
        {
            return fallback;
        }

        // The upper bound keeps the epoch from wrapping when it is narrowed to int.
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value >= 0 && value <= max
            ? value
            : throw new CheckpointException(content.Path, string.Create(CultureInfo.InvariantCulture, $"__metadata__ '{key}' = '{text}' is not an integer from 0 to {max}."));
    }

    private static double ParseDouble(CheckpointContent content, string key, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new CheckpointException(content.Path, $"__metadata__ '{key}' = '{text}' is not a number.");
}
