using System.Text.Json;
using Ema.Shared;

namespace Ema;

public sealed partial record TrainingParams
{
    /// <summary>
    /// Every top-level key, with how it is read and written: THE list of training keys. A new key (the trainer's
    /// settings) is one entry here plus its property; loading, unknown-key errors and ToJson follow from it. The EMA's
    /// options that are keys load into <see cref="EmaOptions"/>, checked first by their ranges in ModelEmaOptions.
    /// </summary>
    private static readonly TrainingKey[] s_keys =
    [
        new("max_epochs", (c, p, _) => p with { MaxEpochs = Ranges.MaxEpochs.CheckedIn(c, c.GetInt32("max_epochs", p.MaxEpochs)) }, (w, p) => w.WriteNumber("max_epochs", p.MaxEpochs)),
        new("batch_accumulate", (c, p, _) => p with { BatchAccumulate = Ranges.BatchAccumulate.CheckedIn(c, c.GetInt32("batch_accumulate", p.BatchAccumulate)) }, (w, p) => w.WriteNumber("batch_accumulate", p.BatchAccumulate)),
        new("initial_lr", (c, p, _) => p with { InitialLr = Ranges.InitialLr.CheckedIn(c, c.GetDouble("initial_lr", p.InitialLr)) }, (w, p) => w.WriteNumber("initial_lr", p.InitialLr)),
        new("ema", (c, p, _) => p with { Ema = c.GetBoolean("ema", p.Ema) }, (w, p) => w.WriteBoolean("ema", p.Ema)),
        new(EmaConfigKeys.EmaParams, ReadEmaParams, WriteEmaParams),
        new("ema_teacher", (c, p, _) => p with { EmaTeacher = c.GetBoolean("ema_teacher", p.EmaTeacher) }, (w, p) => w.WriteBoolean("ema_teacher", p.EmaTeacher)),
        new("ema_update_every", (c, p, _) => p with { EmaOptions = p.EmaOptions with { UpdateEvery = ModelEmaOptions.Ranges.UpdateEvery.CheckedIn(c, c.GetInt32("ema_update_every", p.EmaOptions.UpdateEvery)) } }, (w, p) => w.WriteNumber("ema_update_every", p.EmaOptions.UpdateEvery)),
        new("ema_switch_every", (c, p, _) => p with { EmaOptions = p.EmaOptions with { SwitchEvery = ModelEmaOptions.Ranges.SwitchEvery.CheckedIn(c, c.TryGetInt64("ema_switch_every", out long every) ? every : p.EmaOptions.SwitchEvery) } }, (w, p) => w.WriteNumber("ema_switch_every", p.EmaOptions.SwitchEvery)),
        new("ema_switch_blend", (c, p, _) => p with { EmaOptions = p.EmaOptions with { SwitchBlend = ModelEmaOptions.Ranges.SwitchBlend.CheckedIn(c, c.GetDouble("ema_switch_blend", p.EmaOptions.SwitchBlend)) } }, (w, p) => w.WriteNumber("ema_switch_blend", p.EmaOptions.SwitchBlend)),
        new("ema_batch_scale", (c, p, _) => p with { EmaOptions = p.EmaOptions with { BatchScale = ModelEmaOptions.Ranges.BatchScale.CheckedIn(c, c.GetDouble("ema_batch_scale", p.EmaOptions.BatchScale)) } }, (w, p) => w.WriteNumber("ema_batch_scale", p.EmaOptions.BatchScale)),
        new("ema_recompute_bn", (c, p, _) => p with { EmaRecomputeBn = c.GetEnum("ema_recompute_bn", p.EmaRecomputeBn) }, (w, p) => w.WriteString("ema_recompute_bn", p.EmaRecomputeBn.ToString().ToLowerInvariant())),
        new("checkpoint_format", (c, p, _) => p with { CheckpointFormat = c.GetEnum("checkpoint_format", p.CheckpointFormat) }, (w, p) => w.WriteString("checkpoint_format", p.CheckpointFormat.ToString().ToLowerInvariant())),
    ];

    /// <summary>The top-level keys, in the order <see cref="ToJson"/> writes them.</summary>
    public static IReadOnlyList<string> KnownKeys { get; } = s_keys.Select(k => k.Name).ToArray();

    /// <summary>Writes every key in SuperGradients' shape; <see cref="FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/> reads it back into an equal record.</summary>
    /// <returns>The JSON object.</returns>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (TrainingKey key in s_keys)
            {
                key.Write(writer, this);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static TrainingParams ReadEmaParams(ConfigObject config, TrainingParams current, Action<string> warn)
    {
        // Missing ema_params keeps the default (exp, 0.9999, beta 15), as in SuperGradients.
        ConfigObject? section = config.GetObject(EmaConfigKeys.EmaParams);
        return section == null ? current : current with { EmaParams = EmaParamsBinder.Bind(section, warn) };
    }

    private static void WriteEmaParams(Utf8JsonWriter writer, TrainingParams value)
    {
        writer.WritePropertyName(EmaConfigKeys.EmaParams);
        value.EmaParams.WriteJson(writer);
    }

    /// <summary>One top-level key: its name, how to read it into the record, how to write it.</summary>
    private sealed record TrainingKey(
        string Name,
        Func<ConfigObject, TrainingParams, Action<string>, TrainingParams> Read,
        Action<Utf8JsonWriter, TrainingParams> Write);
}
