using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Checkpoints in the safetensors format, laid out as SuperGradients lays out its own: the raw weights under
/// <c>net.&lt;name&gt;</c>, the EMA weights under <c>ema_net.&lt;name&gt;</c>, the optimizer's state under
/// <c>optimizer.state</c>, and the epoch, steps, EMA parameters and best metric in <c>__metadata__</c>.
/// Files are replaced atomically; reading checks the whole file before changing the model.
/// </summary>
public static class Checkpoint
{
    /// <summary>The file name of the checkpoint written after every epoch.</summary>
    public const string LatestFileName = "ckpt_latest.safetensors";

    /// <summary>The file name of the checkpoint with the best watched validation metric.</summary>
    public const string BestFileName = "ckpt_best.safetensors";

    /// <summary>The key prefix of the raw weights.</summary>
    public const string NetPrefix = "net.";

    /// <summary>The key prefix of the EMA weights.</summary>
    public const string EmaNetPrefix = "ema_net.";

    /// <summary>The key of the optimizer's state (a U8 tensor in TorchSharp's optimizer serialization).</summary>
    public const string OptimizerKey = "optimizer.state";

    /// <summary>Writes a checkpoint, replacing <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="model">The model; its state dict goes under <c>net.</c>. It must hold its raw weights.</param>
    /// <param name="ema">The EMA, whose weights go under <c>ema_net.</c>, or null.</param>
    /// <param name="optimizer">The optimizer, whose state is stored for resuming, or null.</param>
    /// <param name="epoch">Completed epochs.</param>
    /// <param name="globalStep">Training batches done.</param>
    /// <param name="bestMetric">The best watched validation metric so far, or null.</param>
    /// <exception cref="InvalidOperationException">The EMA weights are swapped into the model (inside <see cref="ModelEma.UseEmaWeights"/>): <c>net</c> would hold the EMA.</exception>
    /// <exception cref="CheckpointException">The file cannot be written (read-only or unusable directory, disk full, ...); the previous file is unchanged.</exception>
    public static void Save(string path, nn.Module model, ModelEma? ema = null, optim.Optimizer? optimizer = null,
        int epoch = 0, long globalStep = 0, double? bestMetric = null) =>
        Save(path, model, ema, optimizer, epoch, globalStep, bestMetric, beforeRename: null);

    internal static void Save(string path, nn.Module model, ModelEma? ema, optim.Optimizer? optimizer,
        int epoch, long globalStep, double? bestMetric, Action<string>? beforeRename)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (ema is { IsEmaInModel: true })
        {
            throw new InvalidOperationException("Checkpoint.Save was called while the EMA weights are in the model (inside UseEmaWeights()): 'net' must hold the raw weights. Save after the scope is disposed.");
        }

        // Conversions made while writing (cpu, contiguous, the optimizer's byte tensor) die with this scope.
        using var scope = NewDisposeScope();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach ((string name, Tensor tensor) in model.state_dict())
        {
            tensors.Add(new(NetPrefix + name, tensor));
        }

        if (ema is not null)
        {
            foreach ((string name, Tensor tensor) in ema.EmaWeights.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                tensors.Add(new(EmaNetPrefix + name, tensor));
            }
        }

        byte[]? optimizerState = optimizer is null ? null : OptimizerStateBlob.Save(optimizer);
        if (optimizerState is not null)
        {
            tensors.Add(new(OptimizerKey, tensor(optimizerState, ScalarType.Byte)));
        }

        Dictionary<string, string> metadata = CheckpointMetadata.Build(epoch, globalStep, bestMetric, ema, optimizerState);
        try
        {
            AtomicFile.Write(path, stream => SafetensorsWriter.Write(stream, tensors, metadata), beforeRename);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system's message names the temporary file; the caller needs the checkpoint's path and to
            // know that the previous checkpoint survived.
            throw new CheckpointException(path, $"cannot write the checkpoint: {e.Message} The previous checkpoint at this path, if any, is unchanged.", innerException: e);
        }
    }

    /// <summary>
    /// Loads a model for inference, as SuperGradients' <c>models.get</c> does: the EMA weights when the
    /// checkpoint has them, otherwise the raw ones.
    /// </summary>
    /// <param name="model">The model to fill; unchanged if anything is wrong with the file.</param>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The source used: <c>"ema_net"</c> or <c>"net"</c>.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or malformed, or does not fit the model.</exception>
    public static string LoadForInference(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        using var scope = NewDisposeScope();
        using SafetensorsContent content = SafetensorsReader.Read(path);
        CheckpointMetadata.CheckVersion(content);
        bool hasEma = content.Tensors.Keys.Any(k => k.StartsWith(EmaNetPrefix, StringComparison.Ordinal));
        string prefix = hasEma ? EmaNetPrefix : NetPrefix;
        Dictionary<string, Tensor> targets = StateDict(model);
        Dictionary<string, Tensor> sources = Match(content, prefix, targets);
        CopyInto(targets, sources);
        return prefix.TrimEnd('.');
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
    public static CheckpointInfo Resume(string path, nn.Module model, ModelEma? ema, optim.Optimizer? optimizer)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (ema is { IsEmaInModel: true })
        {
            throw new InvalidOperationException("Checkpoint.Resume was called inside UseEmaWeights(): dispose the scope first.");
        }

        // No dispose scope here: the optimizer makes its state tensors (SGD's momentum buffers) while loading, and a
        // scope would free them on exit. Nothing else below makes a tensor that SafetensorsContent does not free.
        using SafetensorsContent content = SafetensorsReader.Read(path);
        CheckpointInfo info = CheckpointMetadata.Parse(content);
        Dictionary<string, Tensor> modelTargets = StateDict(model);
        Dictionary<string, Tensor> modelSources = Match(content, NetPrefix, modelTargets);
        Dictionary<string, Tensor>? emaSources = null;
        if (ema is not null)
        {
            if (!info.HasEma)
            {
                throw new CheckpointException(path, "the run has an EMA but the checkpoint has no ema_net.* tensors (it was written without EMA).");
            }

            emaSources = Match(content, EmaNetPrefix, ema.EmaWeights.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        }

        byte[]? optimizerState = null;
        if (optimizer is not null)
        {
            if (!content.Tensors.TryGetValue(OptimizerKey, out Tensor? blob) || blob.dtype != ScalarType.Byte || blob.dim() != 1)
            {
                throw new CheckpointException(path, "the checkpoint has no optimizer state (a 1-d U8 tensor) to resume from.", OptimizerKey);
            }

            optimizerState = blob.data<byte>().ToArray();
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
                throw new CheckpointException(path, $"the optimizer state does not fit this optimizer: {e.Message}", OptimizerKey, e);
            }
        }

        CopyInto(modelTargets, modelSources);
        if (ema is not null)
        {
            ema.Load(emaSources!, info.EmaStep ?? 0);
        }

        return info;
    }

    /// <summary>Reads a checkpoint's metadata (the whole file is checked, the model is not needed).</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The epoch, steps and best metric recorded.</returns>
    /// <exception cref="CheckpointException">The file is unreadable or malformed.</exception>
    public static CheckpointInfo ReadInfo(string path)
    {
        using var scope = NewDisposeScope();
        using SafetensorsContent content = SafetensorsReader.Read(path);
        return CheckpointMetadata.Parse(content);
    }

    private static Dictionary<string, Tensor> StateDict(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Pairs each target with its tensor under <paramref name="prefix"/>, refusing missing, unexpected or misfit tensors.</summary>
    private static Dictionary<string, Tensor> Match(SafetensorsContent content, string prefix, Dictionary<string, Tensor> targets)
    {
        Dictionary<string, Tensor> sources = content.WithPrefix(prefix);
        foreach ((string name, Tensor target) in targets)
        {
            if (!sources.TryGetValue(name, out Tensor? source))
            {
                throw new CheckpointException(content.Path, "the tensor is missing from the checkpoint.", prefix + name);
            }

            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new CheckpointException(content.Path,
                    $"its shape [{string.Join(", ", source.shape)}] does not match the model's [{string.Join(", ", target.shape)}].", prefix + name);
            }

            bool convertible = source.dtype == target.dtype || (source.is_floating_point() && target.is_floating_point());
            if (!convertible)
            {
                throw new CheckpointException(content.Path, $"its dtype {source.dtype} cannot be loaded into the model's {target.dtype}.", prefix + name);
            }
        }

        foreach (string name in sources.Keys)
        {
            if (!targets.ContainsKey(name))
            {
                throw new CheckpointException(content.Path, "the checkpoint has this tensor but the model has no such state.", prefix + name);
            }
        }

        return sources;
    }

    private static void CopyInto(Dictionary<string, Tensor> targets, Dictionary<string, Tensor> sources)
    {
        using (no_grad())
        {
            foreach ((string name, Tensor target) in targets)
            {
                target.copy_(sources[name]); // in place: returns target, never dispose it
            }
        }
    }
}
