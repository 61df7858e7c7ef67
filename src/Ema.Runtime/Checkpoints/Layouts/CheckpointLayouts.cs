using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Tells, from a checkpoint's content (its top-level entries and what they hold, never its tensor data), which
/// tool wrote it and where its EMA and raw weights are: the one place that knows the field's layouts. Each rule
/// below names the source it follows; docs/checkpoints.md has the table.
/// </summary>
internal static class CheckpointLayouts
{
    /// <summary>Ema's own checkpoints and SuperGradients': <c>net</c> and <c>ema_net</c>.</summary>
    public const string Ema = "ema/super-gradients";

    /// <summary>timm's <c>CheckpointSaver</c>: <c>state_dict</c>, <c>state_dict_ema</c>, <c>args</c> (an argparse.Namespace), <c>epoch</c>, <c>arch</c>, <c>version</c>.</summary>
    public const string Timm = "timm";

    /// <summary>PyTorch's <c>torch.optim.swa_utils.AveragedModel.state_dict()</c>: <c>module.</c>-prefixed weights and <c>n_averaged</c>.</summary>
    public const string AveragedModel = "averaged-model";

    /// <summary>A Lightning checkpoint written with its <c>WeightAveraging</c>/<c>EMAWeightAveraging</c> callback.</summary>
    public const string LightningWeightAveraging = "lightning-weight-averaging";

    /// <summary>A Lightning checkpoint without weight averaging.</summary>
    public const string Lightning = "lightning";

    /// <summary>NeMo's <c>-EMA.ckpt</c>: a Lightning checkpoint saved while NeMo's EMA callback had swapped the EMA weights in.</summary>
    public const string NeMoEma = "nemo-ema";

    /// <summary>A diffusers <c>EMAModel.save_pretrained</c> folder: the EMA weights as the model's plain state dict, the EMA's state in <c>config.json</c>.</summary>
    public const string DiffusersEma = "diffusers-ema";

    /// <summary>diffusers' <c>EMAModel.state_dict()</c> saved with torch.save: <c>shadow_params</c> is a list of unnamed tensors.</summary>
    public const string DiffusersEmaState = "diffusers-ema-state";

    /// <summary>An Ultralytics (YOLO) checkpoint: <c>ema</c> and <c>model</c> are pickled modules, not weights.</summary>
    public const string Ultralytics = "ultralytics";

    /// <summary>A plain state dict: the file is the weights.</summary>
    public const string StateDict = "state-dict";

    /// <summary>A dict whose layout none of the rules above knows.</summary>
    public const string Unknown = "unknown";

    /// <summary>The key <see cref="Checkpoint.LoadForInference(nn.Module, string, CheckpointWeights)"/> returns for the weights at a file's root.</summary>
    public const string RootRaw = CheckpointKeys.Net;

    /// <inheritdoc cref="RootRaw"/>
    public const string RootEma = CheckpointKeys.EmaNet;

    private static readonly IReadOnlySet<string> s_nAveraged = new HashSet<string>(StringComparer.Ordinal) { "n_averaged" };

    /// <summary>Recognizes the layout of an open checkpoint.</summary>
    public static CheckpointLayout Recognize(CheckpointContent content)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (content is PthContent ? content.Has(CheckpointKeys.EmaNet) || HasEntry(content, CheckpointKeys.Net) : IsEmaSafetensors(content))
        {
            return EmaLayout(content, facts);
        }

        if (content is not PthContent pth)
        {
            return RootStateDict(content, facts);
        }

        IReadOnlyList<string> entries = pth.Entries;
        foreach (string entry in entries)
        {
            EntryInfo info = pth.Describe(entry);
            if (info.ScalarText is { } text)
            {
                facts[entry] = text;
            }
        }

        string file = Path.GetFileName(content.Path);
        bool has(string key) => entries.Contains(key, StringComparer.Ordinal);
        EntryKind kind(string key) => pth.Describe(key).Kind;

        // Ultralytics' BaseTrainer.save_model: "model" None (or a module), "ema" a pickled module, "updates" its count;
        // strip_optimizer then moves "ema" to "model" and sets "ema" to None.
        if (has("ema") && has("updates") && (kind("ema") == EntryKind.Object || kind("model") == EntryKind.Object))
        {
            string key = kind("ema") == EntryKind.Object ? "ema" : "model";
            string reason = $"an Ultralytics checkpoint: '{key}' is {pth.Describe(key).Text}, {UltralyticsAdvice(file, key)}";
            return new CheckpointLayout(Ultralytics, null, null, reason, reason, facts);
        }

        // diffusers' EMAModel.state_dict() (what accelerate's save hooks pickle): the EMA as a list without names.
        if (has("shadow_params") && has("optimization_step"))
        {
            string reason = "a diffusers EMAModel.state_dict(): 'shadow_params' is a list of tensors without names, in the order of the model's parameters, so it cannot be matched to a model by name. " +
                "Save it with names in Python: ema.copy_to(model.parameters()); torch.save(model.state_dict(), \"ema_state_dict.pth\") (or ema.save_pretrained(dir), which Ema reads).";
            return new CheckpointLayout(DiffusersEmaState, null, null, reason, reason, facts);
        }

        // Lightning's WeightAveraging.on_save_checkpoint: the average in "state_dict", the model in "current_model_state",
        // the AveragedModel's other state (n_averaged) in "averaging_state".
        if (has("state_dict") && has("current_model_state"))
        {
            if (has("averaging_state") && kind("averaging_state") == EntryKind.StateDict && TryCount(pth, "averaging_state", "n_averaged") is { } n)
            {
                facts["n_averaged"] = n.ToString(CultureInfo.InvariantCulture);
            }

            return new CheckpointLayout(LightningWeightAveraging,
                StateDictEntry(pth, "state_dict"), StateDictEntry(pth, "current_model_state"), null, null, facts);
        }

        if (has("state_dict") && has("pytorch-lightning_version"))
        {
            // NeMo's EMA callback writes a second Lightning checkpoint, named as NeMoModelCheckpoint._ema_format_filepath
            // does, with the EMA weights swapped into the model; NeMo itself tells the two apart by that name.
            if (file.EndsWith("-EMA.ckpt", StringComparison.Ordinal))
            {
                string raw = file[..^"-EMA.ckpt".Length] + ".ckpt";
                return new CheckpointLayout(NeMoEma, StateDictEntry(pth, "state_dict"), null, null,
                    $"NeMo's -EMA.ckpt holds the EMA weights only; the raw weights are in '{raw}' beside it.", facts);
            }

            return new CheckpointLayout(Lightning, null, StateDictEntry(pth, "state_dict"),
                "a Lightning checkpoint without EMA weights by name (no WeightAveraging callback state: no 'current_model_state'). " +
                "With NeMo's EMA callback the EMA is in the '-EMA.ckpt' file beside it.", null, facts);
        }

        // timm's CheckpointSaver (and timm's load_state_dict, which prefers "state_dict_ema", then "model_ema").
        if (has("state_dict_ema") || has("model_ema"))
        {
            string emaKey = has("state_dict_ema") ? "state_dict_ema" : "model_ema";
            string rawKey = has("state_dict") ? "state_dict" : "model";
            WeightsEntry? ema = kind(emaKey) == EntryKind.StateDict ? StateDictEntry(pth, emaKey) : null;
            WeightsEntry? rawWeights = has(rawKey) && kind(rawKey) == EntryKind.StateDict ? StateDictEntry(pth, rawKey) : null;
            return new CheckpointLayout(Timm, ema, rawWeights,
                ema is null ? $"'{emaKey}' holds {pth.Describe(emaKey).Text}, not a state dict." : null,
                rawWeights is null ? $"the checkpoint has no raw weights: '{rawKey}' is {(has(rawKey) ? pth.Describe(rawKey).Text : "absent")}." : null,
                facts);
        }

        if (has("state_dict") && kind("state_dict") == EntryKind.StateDict)
        {
            return new CheckpointLayout(Timm, null, StateDictEntry(pth, "state_dict"),
                "the checkpoint has 'state_dict' but no 'state_dict_ema' (timm saves it only with --model-ema).", null, facts);
        }

        if (entries.Count > 0 && entries.All(e => kind(e) == EntryKind.Tensor))
        {
            return RootStateDict(content, facts);
        }

        string listing = string.Join(", ", entries.Select(e => $"'{e}' ({pth.Describe(e).Text})"));
        string unknown = $"a dict whose layout Ema does not know: {listing}. Ema reads Ema's and SuperGradients' net/ema_net, timm's state_dict/state_dict_ema, " +
            "AveragedModel state dicts, Lightning checkpoints (with WeightAveraging, or NeMo's -EMA.ckpt), diffusers EMAModel.save_pretrained folders and plain state dicts (see docs/checkpoints.md).";
        return new CheckpointLayout(Unknown, null, null, unknown, unknown, facts);
    }

    /// <summary>
    /// What to do with a pickled Ultralytics model: one text for the layout's refusal and for a reader that refuses
    /// the module's global while unpickling (<see cref="AdviceForGlobal"/>).
    /// </summary>
    public static string UltralyticsAdvice(string file, string key) =>
        "a whole pickled model, not weights (a weights-only reader builds no module). " +
        $"Convert it in Python with Ultralytics installed: torch.save(torch.load(\"{file}\", weights_only=False)[\"{key}\"].float().state_dict(), \"ema_state_dict.pth\").";

    /// <summary>
    /// Advice to append where a reader refuses a global while unpickling, when the global says which tool wrote the
    /// file (an <c>ultralytics.*</c> module class); null otherwise.
    /// </summary>
    public static string? AdviceForGlobal(string path, string global) =>
        global.StartsWith("ultralytics.", StringComparison.Ordinal)
            ? $"This is an Ultralytics checkpoint: its 'ema' (or 'model') is {UltralyticsAdvice(Path.GetFileName(path), "ema")}"
            : null;

    /// <summary>The tensor names Ema's safetensors checkpoints hold: its sections' prefixes and the optimizer's state.</summary>
    private static readonly string[] s_emaSectionPrefixes =
        [CheckpointKeys.NetPrefix, CheckpointKeys.EmaNetPrefix, CheckpointKeys.BemaAverage + CheckpointKeys.Separator, CheckpointKeys.BemaAnchor + CheckpointKeys.Separator];

    /// <summary>
    /// Whether a safetensors file is Ema's layout (<c>net.*</c>, <c>ema_net.*</c>): it has one of those sections, and
    /// either Ema's format version in its metadata or no tensor outside Ema's names. A plain state dict of a model
    /// with a submodule named <c>net</c> (<c>net.0.weight</c> beside <c>head.weight</c>) is not: read as Ema's, its
    /// other tensors would be silently left out and the rest renamed.
    /// </summary>
    private static bool IsEmaSafetensors(CheckpointContent content) =>
        content is SafetensorsContent safetensors
        && (content.Has(CheckpointKeys.EmaNet) || content.Has(CheckpointKeys.Net))
        && (content.FormatVersion is not null || safetensors.Tensors.Keys.All(name =>
            name == CheckpointKeys.OptimizerState || s_emaSectionPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))));

    private static bool HasEntry(CheckpointContent content, string key) => content is PthContent && content.Entries.Contains(key, StringComparer.Ordinal);

    private static CheckpointLayout EmaLayout(CheckpointContent content, Dictionary<string, string> facts)
    {
        try
        {
            foreach ((string key, string value) in content.Metadata)
            {
                facts[key] = value;
            }
        }
        catch (CheckpointException)
        {
            // Informative only: loading never needed SuperGradients' epoch or acc (a numpy scalar in older files).
        }

        bool hasEma = content.Has(CheckpointKeys.EmaNet);
        WeightsEntry? ema = hasEma ? new WeightsEntry(CheckpointKeys.EmaNet, CheckpointKeys.EmaNetPrefix, () => content.Section(CheckpointKeys.EmaNet)) : null;
        WeightsEntry? raw = content.Has(CheckpointKeys.Net) ? new WeightsEntry(CheckpointKeys.Net, CheckpointKeys.NetPrefix, () => content.Section(CheckpointKeys.Net)) : null;
        return new CheckpointLayout(Ema, ema, raw, "the checkpoint has no 'ema_net' (it was written without an EMA).", "the checkpoint has no 'net'.", facts);
    }

    /// <summary>The file's root is a state dict: an AveragedModel's, a diffusers EMA folder's, or plain weights.</summary>
    private static CheckpointLayout RootStateDict(CheckpointContent content, Dictionary<string, string> facts)
    {
        Dictionary<string, StoredTensor> all = content.StateDictAt(null);
        // AveragedModel.state_dict(): its own buffer n_averaged beside the averaged module's state under "module.".
        if (all.ContainsKey("n_averaged") && all.Count > 1 && all.Keys.All(k => k == "n_averaged" || k.StartsWith(PthKeys.ModulePrefix, StringComparison.Ordinal)))
        {
            facts["n_averaged"] = ReadCount(content, all["n_averaged"]).ToString(CultureInfo.InvariantCulture);
            return new CheckpointLayout(AveragedModel,
                new WeightsEntry("module", "module.", () => content.StateDictAt(null, s_nAveraged)), null, null,
                "an AveragedModel state dict holds the average only; the model's own weights were saved (if at all) in another file.", facts);
        }

        // diffusers' EMAModel.save_pretrained: model.register_to_config(**ema_state) then model.save_pretrained(path), so the
        // config.json beside the weights has the EMA's decay and optimization_step among the model's config.
        if (DiffusersEmaConfig(content.Path) is { } config)
        {
            foreach ((string key, string value) in config)
            {
                facts[key] = value;
            }

            return new CheckpointLayout(DiffusersEma, new WeightsEntry(RootEma, string.Empty, () => content.StateDictAt(null)), null, null,
                "a diffusers EMAModel.save_pretrained folder holds the EMA only; the raw model is saved in its own folder (unet/, say).", facts);
        }

        return new CheckpointLayout(StateDict, null, new WeightsEntry(RootRaw, string.Empty, () => content.StateDictAt(null)),
            "a plain state dict holds one set of weights, and nothing in it says they are an EMA; load it with CheckpointWeights.PreferEma or Raw.", null, facts);
    }

    private static Dictionary<string, string>? DiffusersEmaConfig(string path)
    {
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "config.json");
        if (!File.Exists(config))
        {
            return null;
        }

        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(config));
            if (json.RootElement.ValueKind != JsonValueKind.Object
                || !json.RootElement.TryGetProperty("optimization_step", out _) || !json.RootElement.TryGetProperty("decay", out _))
            {
                return null;
            }

            string[] keys = ["_class_name", "decay", "min_decay", "optimization_step", "update_after_step", "use_ema_warmup", "inv_gamma", "power"];
            return keys.Where(k => json.RootElement.TryGetProperty(k, out _))
                .ToDictionary(k => k, k => json.RootElement.GetProperty(k).ToString(), StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return null; // not diffusers' config: the weights are read as a plain state dict
        }
    }

    private static WeightsEntry StateDictEntry(PthContent content, string key) => new(key, key + ".", () => content.StateDictAt(key));

    private static long? TryCount(PthContent content, string entry, string name)
    {
        try
        {
            return ReadCount(content, content.TensorAt(entry, name));
        }
        catch (CheckpointException)
        {
            return null;
        }
    }

    /// <summary>A one-element integer tensor's value (an <c>n_averaged</c>), read from its bytes.</summary>
    private static long ReadCount(CheckpointContent content, StoredTensor tensor)
    {
        if (tensor.Length != 8 || tensor.Type != ScalarType.Int64)
        {
            throw new CheckpointException(content.Path, $"n_averaged is a {tensor.Type} of {tensor.Length} bytes, not one int64.", tensor.Name);
        }

        return BinaryPrimitives.ReadInt64LittleEndian(content.ReadBytes(tensor));
    }
}
