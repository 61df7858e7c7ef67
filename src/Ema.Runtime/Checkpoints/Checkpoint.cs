// Over 300 lines: the public checkpoint API (Save, LoadForInference, Resume, ReadInfo) and the one matching rule
// they share (Match: every missing, unexpected and misfit tensor at once). Formats are Pth/ and Safetensors/, layouts
// Layouts/, atomic writes Files/.
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Checkpoints in the safetensors format or PyTorch's (<c>.pth</c>, as SuperGradients writes it), laid out as
/// SuperGradients lays out its own: the raw weights under <c>net</c>, the EMA weights under <c>ema_net</c>, the
/// optimizer's state, and the epoch, steps, EMA parameters and best metric. Files are replaced atomically; reading
/// tells the format by content, checks the header against the model before any data is read, then streams.
/// </summary>
public static class Checkpoint
{
    /// <summary>The file name of the checkpoint written after every epoch.</summary>
    public const string LatestFileName = LatestStem + CheckpointFormats.SafetensorsExtension;

    /// <summary>The file name of the checkpoint with the best watched validation metric.</summary>
    public const string BestFileName = BestStem + CheckpointFormats.SafetensorsExtension;

    /// <summary>The file name of the checkpoint written after every epoch in PyTorch's format (<see cref="CheckpointFormat.Pth"/>).</summary>
    public const string LatestPthFileName = LatestStem + CheckpointFormats.PthExtension;

    /// <summary>The file name of the best checkpoint in PyTorch's format (<see cref="CheckpointFormat.Pth"/>).</summary>
    public const string BestPthFileName = BestStem + CheckpointFormats.PthExtension;

    /// <summary>The file name of the latest checkpoint in <paramref name="format"/>.</summary>
    /// <param name="format">The format.</param>
    /// <returns><see cref="LatestFileName"/> or <see cref="LatestPthFileName"/>.</returns>
    public static string LatestFileNameOf(CheckpointFormat format) => LatestStem + CheckpointFormats.ExtensionOf(format);

    /// <summary>The file name of the best checkpoint in <paramref name="format"/>.</summary>
    /// <param name="format">The format.</param>
    /// <returns><see cref="BestFileName"/> or <see cref="BestPthFileName"/>.</returns>
    public static string BestFileNameOf(CheckpointFormat format) => BestStem + CheckpointFormats.ExtensionOf(format);

    /// <summary>The name of the latest checkpoint without its extension (<see cref="CheckpointFormats"/> adds it).</summary>
    private const string LatestStem = "ckpt_latest";

    /// <summary>The name of the best checkpoint without its extension.</summary>
    private const string BestStem = "ckpt_best";

    /// <summary>
    /// Writes a checkpoint, replacing <paramref name="path"/> atomically: PyTorch's format (SuperGradients' keys,
    /// weights-only safe) when the path ends in <c>.pth</c> or <c>.pt</c>, safetensors otherwise.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="model">The model; its state dict goes under <c>net.</c>. It must hold its raw weights.</param>
    /// <param name="ema">The EMA, whose weights go under <c>ema_net.</c>, or null.</param>
    /// <param name="optimizer">The optimizer, whose state is stored for resuming, or null.</param>
    /// <param name="epoch">Completed epochs.</param>
    /// <param name="globalStep">Training batches done.</param>
    /// <param name="bestMetric">The best watched validation metric so far, or null.</param>
    /// <exception cref="InvalidOperationException">The EMA weights are swapped into the model (inside <see cref="ModelEma.UseEmaWeights"/>): <c>net</c> would hold the EMA.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> or <paramref name="globalStep"/> is negative (the reader refuses both); the file is not touched.</exception>
    /// <exception cref="CheckpointException">The file cannot be written (read-only or unusable directory, disk full, ...); the previous file is unchanged.</exception>
    /// <exception cref="NonFiniteWeightsException">An EMA tensor holds NaN or infinity that <see cref="ModelEmaOptions.NonFinite"/> does not allow (a tensor left out by <see cref="ModelEmaOptions.Exclude"/> is the model's own); nothing is written.</exception>
    public static void Save(string path, nn.Module model, ModelEma? ema = null, optim.Optimizer? optimizer = null,
        int epoch = 0, long globalStep = 0, double? bestMetric = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);

        // Nothing the reader would refuse is written: a negative epoch or step (a wrapped counter) would replace a
        // good ckpt_latest with a file that cannot be resumed.
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(globalStep);
        if (ModelOwnership.HoldsAnEma(model))
        {
            throw new InvalidOperationException("Checkpoint.Save was called while the EMA weights are in the model (inside UseEmaWeights()): 'net' must hold the raw weights. Save after the scope is disposed.");
        }

        ema?.ThrowIfHoldsNonFinite("Checkpoint.Save");

        // Conversions made while writing (chunks, the optimizer's byte tensor) die with this scope.
        using var scope = NewDisposeScope();
        var net = model.state_dict().ToList();
        List<KeyValuePair<string, Tensor>>? emaNet = ema is null ? null : EmaInStateDictOrder(net, ema.EmaWeights);
        List<(string Section, List<KeyValuePair<string, Tensor>> Tensors)> correction = CorrectionSections(net, ema);
        byte[]? optimizerState = optimizer is null ? null : OptimizerStateBlob.Save(optimizer);
        Tensor? optimizerTensor = optimizerState is null ? null : tensor(optimizerState, ScalarType.Byte);
        Dictionary<string, string> metadata = CheckpointMetadata.Build(epoch, globalStep, bestMetric, ema, optimizerState);
        Action<Stream> write = CheckpointFormats.ForWriting(path) == CheckpointFormat.Pth
            ? stream => PthWriter.Write(stream, PthEntries(net, emaNet, correction, optimizerTensor, epoch, bestMetric, metadata))
            : stream => SafetensorsWriter.Write(stream, SafetensorsEntries(net, emaNet, correction, optimizerTensor), metadata);
        try
        {
            AtomicFile.Write(path, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system's message names the temporary file; the caller needs the checkpoint's path and to
            // know that the previous checkpoint survived.
            throw new CheckpointException(path, $"cannot write the checkpoint: {e.Message} The previous checkpoint at this path, if any, is unchanged.", innerException: e);
        }
    }

    /// <summary>The EMA weights in the model's state-dict order (what SuperGradients' ema_net holds), then any others by name.</summary>
    private static List<KeyValuePair<string, Tensor>> EmaInStateDictOrder(List<KeyValuePair<string, Tensor>> net, IReadOnlyDictionary<string, Tensor> ema)
    {
        var ordered = net.Where(p => ema.ContainsKey(p.Key)).Select(p => new KeyValuePair<string, Tensor>(p.Key, ema[p.Key])).ToList();
        var seen = ordered.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        ordered.AddRange(ema.Where(p => !seen.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal));
        return ordered;
    }

    /// <summary>
    /// A corrected schedule's state (<c>bema</c>: <c>ema_bema_average</c> and <c>ema_bema_anchor</c>, state dicts in the
    /// model's order), which a resume needs besides <c>ema_net</c>, the weights the EMA hands out; empty otherwise.
    /// </summary>
    private static List<(string Section, List<KeyValuePair<string, Tensor>> Tensors)> CorrectionSections(List<KeyValuePair<string, Tensor>> net, ModelEma? ema) =>
        ema?.CorrectionState is { } state
            ? state.Select(s => (s.Key, EmaInStateDictOrder(net, s.Value))).ToList()
            : [];

    private static List<KeyValuePair<string, Tensor>> SafetensorsEntries(
        List<KeyValuePair<string, Tensor>> net, List<KeyValuePair<string, Tensor>>? emaNet,
        List<(string Section, List<KeyValuePair<string, Tensor>> Tensors)> correction, Tensor? optimizerState)
    {
        var tensors = net.Select(p => new KeyValuePair<string, Tensor>(CheckpointKeys.NetPrefix + p.Key, p.Value)).ToList();
        if (emaNet is not null)
        {
            tensors.AddRange(emaNet.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValuePair<string, Tensor>(CheckpointKeys.EmaNetPrefix + p.Key, p.Value)));
        }

        foreach ((string section, List<KeyValuePair<string, Tensor>> sectionTensors) in correction)
        {
            tensors.AddRange(sectionTensors.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValuePair<string, Tensor>(section + "." + p.Key, p.Value)));
        }

        if (optimizerState is not null)
        {
            tensors.Add(new(CheckpointKeys.OptimizerState, optimizerState));
        }

        return tensors;
    }

    private static List<KeyValuePair<string, object>> PthEntries(List<KeyValuePair<string, Tensor>> net, List<KeyValuePair<string, Tensor>>? emaNet,
        List<(string Section, List<KeyValuePair<string, Tensor>> Tensors)> correction,
        Tensor? optimizerState, int epoch, double? bestMetric, Dictionary<string, string> metadata)
    {
        var entries = new List<KeyValuePair<string, object>> { new(CheckpointKeys.Net, net) };
        if (emaNet is not null)
        {
            entries.Add(new(CheckpointKeys.EmaNet, emaNet));
        }

        entries.AddRange(correction.Select(c => new KeyValuePair<string, object>(c.Section, c.Tensors)));

        entries.Add(new(PthKeys.Epoch, (long)epoch));
        if (bestMetric is { } acc)
        {
            entries.Add(new(PthKeys.Acc, acc));
        }

        entries.Add(new(PthKeys.Metadata, metadata));
        if (optimizerState is not null)
        {
            entries.Add(new(PthKeys.OptimizerState, optimizerState));
        }

        return entries;
    }

    /// <summary>
    /// Loads a model for inference, as SuperGradients' <c>models.get</c> does: the EMA weights when the
    /// checkpoint has them, otherwise the raw ones (<see cref="CheckpointWeights.PreferEma"/>).
    /// </summary>
    /// <param name="model">The model to fill; unchanged if anything is wrong with the file.</param>
    /// <param name="path">The checkpoint file, in any layout <see cref="LoadForInference(nn.Module, string, CheckpointWeights)"/> reads.</param>
    /// <returns>The entry used: <c>"ema_net"</c> or <c>"net"</c> for Ema's and SuperGradients' checkpoints and for a file that is itself the weights, else the other tool's key.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or malformed, holds no weights Ema can read, or does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model computes with an EMA's weights (inside <see cref="ModelEma.UseEmaWeights"/>) or is bound as a twin (<see cref="ModelEma.BindTwin"/>); nothing is read or changed.</exception>
    public static string LoadForInference(nn.Module model, string path) => LoadForInference(model, path, CheckpointWeights.PreferEma);

    /// <summary>
    /// Loads a model for inference from a checkpoint of Ema, SuperGradients, timm (<c>state_dict_ema</c> /
    /// <c>state_dict</c>), PyTorch's <c>AveragedModel</c>, Lightning (its <c>WeightAveraging</c> callback, NeMo's
    /// <c>-EMA.ckpt</c>), a diffusers <c>EMAModel.save_pretrained</c> folder, or a plain state dict: the layout is
    /// told by content, and a file whose weights cannot be read as weights (an Ultralytics checkpoint pickles whole
    /// modules) is refused with how to convert it in Python.
    /// </summary>
    /// <param name="model">The model to fill; unchanged if anything is wrong with the file.</param>
    /// <param name="path">The checkpoint file: safetensors or PyTorch's zip format, told apart by content.</param>
    /// <param name="weights">The EMA, the raw weights, or the EMA when there is one.</param>
    /// <returns>The entry used: <c>"ema_net"</c>, <c>"net"</c>, <c>"state_dict_ema"</c>, <c>"state_dict"</c>,
    /// <c>"current_model_state"</c>, <c>"module"</c> (an AveragedModel's average), ...; <c>"net"</c> for a plain state dict
    /// and <c>"ema_net"</c> for a diffusers EMA folder's weights, which are the file's root.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or malformed, lacks the weights asked for (the message says what it holds), or does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model computes with an EMA's weights (inside <see cref="ModelEma.UseEmaWeights"/>) or is bound as a twin (<see cref="ModelEma.BindTwin"/>); nothing is read or changed.</exception>
    public static string LoadForInference(nn.Module model, string path, CheckpointWeights weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        TensorClaims.ThrowIfNotWritable(model, "Checkpoint.LoadForInference");
        using var scope = NewDisposeScope();
        using CheckpointContent content = CheckpointContent.Open(path);
        CheckpointMetadata.CheckVersion(content);
        WeightsEntry entry = CheckpointLayouts.Recognize(content).Choose(path, weights);
        Dictionary<string, Tensor> targets = StateDict(model);
        Dictionary<string, StoredTensor> sources = Match(content, entry.Read(), entry.Prefix, targets);
        CopyInto(content, targets, sources);
        return entry.Key;
    }

    /// <summary>
    /// Restores a training run from a checkpoint: the model's raw weights, the EMA's weights and step, and the
    /// optimizer's state. Everything is read and checked before anything changes.
    /// </summary>
    /// <remarks>Call it outside any dispose scope: the optimizer's state tensors made while loading must outlive the call.</remarks>
    /// <param name="path">The checkpoint file, normally <see cref="LatestFileName"/>.</param>
    /// <param name="model">The model (the student in knowledge distillation).</param>
    /// <param name="ema">The EMA of <paramref name="model"/>, or null when training without EMA.</param>
    /// <param name="optimizer">The optimizer, or null to leave it as it is.</param>
    /// <returns>The epoch, steps and best metric recorded.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or malformed, or does not fit the model, EMA or optimizer.</exception>
    /// <exception cref="InvalidOperationException">The model computes with an EMA's weights (inside <see cref="ModelEma.UseEmaWeights"/>) or is bound as a twin (<see cref="ModelEma.BindTwin"/>); nothing is read or changed.</exception>
    public static CheckpointInfo Resume(string path, nn.Module model, ModelEma? ema, optim.Optimizer? optimizer)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        TensorClaims.ThrowIfNotWritable(model, "Checkpoint.Resume");

        // No dispose scope here: the optimizer makes its state tensors (SGD's momentum buffers) while loading, and a
        // scope would free them on exit. The header is checked against the model, the EMA and the optimizer first;
        // only then is tensor data read, straight into its targets.
        using CheckpointContent content = CheckpointContent.Open(path);
        CheckpointInfo info = CheckpointMetadata.Parse(content);
        Dictionary<string, Tensor> modelTargets = StateDict(model);
        Dictionary<string, StoredTensor> modelSources = Match(content, CheckpointKeys.Net, modelTargets);
        Dictionary<string, StoredTensor>? emaSources = null;
        if (ema is not null)
        {
            if (!info.HasEma)
            {
                throw new CheckpointException(path, "the run has an EMA but the checkpoint has no ema_net tensors (it was written without EMA).");
            }

            CheckpointMetadata.CheckUpdateEvery(content, ema);

            emaSources = Match(content, CheckpointKeys.EmaNet, ema.EmaWeights.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        }

        Dictionary<string, Dictionary<string, StoredTensor>>? correctionSources = ema is null ? null : MatchCorrection(content, ema, info.EmaStep ?? 0);

        byte[]? optimizerState = null;
        if (optimizer is not null)
        {
            StoredTensor blob = content.OptimizerState is { Type: ScalarType.Byte, Shape.Length: 1 } stored
                ? stored
                : throw new CheckpointException(path, "the checkpoint has no optimizer state (a 1-d U8 tensor) to resume from.", CheckpointKeys.OptimizerState);
            optimizerState = content.ReadBytes(blob);
            CheckpointMetadata.VerifyOptimizerState(content, optimizerState);
        }

        // The optimizer goes first: it is the only part whose fit cannot be checked beforehand, and if it
        // does not fit, the model and the EMA are still untouched.
        if (optimizer is not null)
        {
            // TorchSharp loads the state piece by piece into the live optimizer: on failure, put the previous
            // state back so that the optimizer, like the model and the EMA, is left as it was.
            byte[] previous = OptimizerStateBlob.Save(optimizer);
            try
            {
                OptimizerStateBlob.Load(optimizer, optimizerState!);
            }
            catch (Exception e) when (e is not CheckpointException)
            {
                OptimizerStateBlob.Load(optimizer, previous);
                throw new CheckpointException(path, $"the optimizer state does not fit this optimizer: {e.Message}", CheckpointKeys.OptimizerState, e);
            }
        }

        CopyInto(content, modelTargets, modelSources);
        if (ema is not null)
        {
            // Through ModelEma.Load, which skips left-out tensors (the model's own, just read from 'net'), keeps its
            // guards, and sets the step.
            ema.Load((name, target) => CopyInto(content, name, target, emaSources![name]), info.EmaStep ?? 0);
            if (correctionSources is not null)
            {
                ema.LoadCorrection((section, name, target) => CopyInto(content, name, target, correctionSources[section][name]));
            }
            else
            {
                ema.ResetCorrectionToEma();
            }
        }

        return info;
    }

    /// <summary>
    /// The stored state of a corrected schedule (<c>bema</c>), checked against the EMA's; null when the EMA has none,
    /// or when the checkpoint has none and the step is one at which the average and the anchor follow the model (they
    /// are then the weights under <c>ema_net</c>). A checkpoint without them at a later step cannot be resumed exactly.
    /// </summary>
    private static Dictionary<string, Dictionary<string, StoredTensor>>? MatchCorrection(CheckpointContent content, ModelEma ema, long step)
    {
        if (ema.CorrectionState is not { } state)
        {
            return null;
        }

        if (state.Keys.All(content.Has) || state.Values.All(v => v.Count == 0))
        {
            return state.ToDictionary(s => s.Key, s => Match(content, s.Key, s.Value), StringComparer.Ordinal);
        }

        if (step <= ema.CorrectionAnchorStep)
        {
            return null;
        }

        string missing = state.Keys.First(k => !content.Has(k));
        throw new CheckpointException(content.Path,
            $"the run's '{ema.EmaParams.DecayType}' EMA needs its running average and anchor at step {step} (after its anchor step {ema.CorrectionAnchorStep}), " +
            "and this checkpoint has none (written before the EMA used that schedule, or by an older version): resuming from 'ema_net' alone would hand out wrong weights. " +
            "Resume from a checkpoint written with this schedule, or start the EMA anew.", missing);
    }

    /// <summary>Reads a checkpoint's metadata from its header (either format; no tensor data is read, the model is not needed).</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The epoch, steps and best metric recorded.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or malformed.</exception>
    public static CheckpointInfo ReadInfo(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using CheckpointContent content = CheckpointContent.Open(path);
        return CheckpointMetadata.Parse(content);
    }

    private static Dictionary<string, Tensor> StateDict(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Pairs each target with its stored tensor in <paramref name="section"/> (from the header alone).</summary>
    private static Dictionary<string, StoredTensor> Match(CheckpointContent content, string section, Dictionary<string, Tensor> targets) =>
        Match(content, content.Section(section), section + ".", targets);

    /// <summary>
    /// Pairs each target with its stored tensor, from the header alone; <paramref name="prefix"/> names them in
    /// messages. Every missing, unexpected and misfit tensor is reported at once, as PyTorch's <c>load_state_dict</c>
    /// reports them; the exception names the tensor when only one is at fault.
    /// </summary>
    private static Dictionary<string, StoredTensor> Match(CheckpointContent content, Dictionary<string, StoredTensor> sources, string prefix, Dictionary<string, Tensor> targets)
    {
        var missing = new List<string>();
        var misfits = new List<(string Name, string Problem)>();
        foreach ((string name, Tensor target) in targets)
        {
            if (!sources.TryGetValue(name, out StoredTensor? source))
            {
                missing.Add(prefix + name);
            }
            else if (!source.Shape.SequenceEqual(target.shape))
            {
                misfits.Add((prefix + name, $"its shape [{string.Join(", ", source.Shape)}] does not match the model's [{string.Join(", ", target.shape)}]"));
            }
            else if (!source.ConvertsTo(target.dtype))
            {
                misfits.Add((prefix + name, $"its dtype {source.Type} cannot be loaded into the model's {target.dtype}"));
            }
        }

        List<string> unexpected = sources.Keys.Where(name => !targets.ContainsKey(name)).Select(name => prefix + name).ToList();
        int faults = missing.Count + unexpected.Count + misfits.Count;
        if (faults == 0)
        {
            RefuseValuesBeyondTheTargetDtype(content, sources, prefix, targets);
            return sources;
        }

        if (faults == 1)
        {
            (string name, string problem) = missing.Count == 1 ? (missing[0], "the tensor is missing from the checkpoint")
                : unexpected.Count == 1 ? (unexpected[0], "the checkpoint has this tensor but the model has no such state")
                : misfits[0];
            throw new CheckpointException(content.Path, problem + ".", name);
        }

        string entry = prefix.Length == 0 ? "state dict" : "'" + prefix.TrimEnd('.') + "'";
        var message = new System.Text.StringBuilder($"the checkpoint's {entry} does not fit the model ({faults} tensors):");
        if (missing.Count > 0)
        {
            message.Append($" missing from the checkpoint: {string.Join(", ", missing)};");
        }

        if (unexpected.Count > 0)
        {
            message.Append($" in the checkpoint but not in the model: {string.Join(", ", unexpected)};");
        }

        foreach ((string name, string problem) in misfits)
        {
            message.Append($" '{name}': {problem};");
        }

        message.Length--; // the last ';'
        throw new CheckpointException(content.Path, message.Append('.').ToString());
    }

    /// <summary>
    /// Where a stored floating tensor goes into a narrower dtype (float32 into a float16 model, float64 into float32),
    /// a finite value beyond the narrower dtype's range would load as infinity: a wrong weight, silently. Such a
    /// tensor is refused, naming it and the value, before anything is written (the one check that reads tensor data
    /// before the copy: only the narrowed tensors, once each; a load without narrowing reads nothing more).
    /// </summary>
    private static void RefuseValuesBeyondTheTargetDtype(CheckpointContent content, Dictionary<string, StoredTensor> sources, string prefix, Dictionary<string, Tensor> targets)
    {
        foreach ((string name, Tensor target) in targets)
        {
            StoredTensor source = sources[name];
            double limit = FloatingDtypes.NarrowingLimit(source.Type, target.dtype);
            if (double.IsFinite(limit) && TensorStreaming.LargestBeyond(content.Stream, source, limit) is { } value)
            {
                throw new CheckpointException(content.Path, string.Create(CultureInfo.InvariantCulture,
                    $"it holds {value:R} ({source.Type}), beyond {limit:R}, the largest finite value of the model's {target.dtype}: loaded, it would become infinity. Load it into a model of {source.Type} (or a wider dtype); nothing was loaded."),
                    prefix + name);
            }
        }
    }

    /// <summary>
    /// Streams every tensor into its target. Runs only after every check passed; an I/O error from here on (a disk
    /// failing mid-read) leaves the targets read so far changed, and is a CheckpointException that says so.
    /// </summary>
    private static void CopyInto(CheckpointContent content, Dictionary<string, Tensor> targets, Dictionary<string, StoredTensor> sources)
    {
        foreach ((string name, Tensor target) in targets)
        {
            CopyInto(content, name, target, sources[name]);
        }
    }

    private static void CopyInto(CheckpointContent content, string name, Tensor target, StoredTensor source)
    {
        try
        {
            TensorStreaming.ReadInto(content.Stream, source, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(content.Path,
                $"reading the tensor data failed after every check had passed: {e.Message} The tensors before this one were already loaded: the model (or EMA) is partly replaced; load it again.",
                source.Name, e);
        }
    }
}
