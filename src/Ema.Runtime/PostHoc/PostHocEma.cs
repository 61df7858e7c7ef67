using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Post-hoc EMA (EDM2, Karras et al. 2024): tracks one power-function EMA per
/// <see cref="PostHocEmaOptions.SigmaRels"/> entry, writes their snapshots every
/// <see cref="PostHocEmaOptions.SnapshotEvery"/> steps, and after training <see cref="Synthesize"/> makes the EMA of
/// any other length from the snapshots, without training again.
/// </summary>
public sealed class PostHocEma : IDisposable
{
    private readonly ModelEma[] _emas;
    private readonly string _signature;
    private bool _disposed;

    /// <summary>Starts one power EMA of <paramref name="model"/> per sigma_rel (several EMAs of one model share its buffer).</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">The profiles, the snapshot directory and cadence.</param>
    /// <exception cref="ArgumentException">The snapshot dtype is not a floating-point dtype, or snapshots would fall between the EMAs' updates.</exception>
    public PostHocEma(nn.Module model, PostHocEmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        int cadence = options.EmaOptions.UpdateEvery;
        if (options.SnapshotEvery % cadence != 0)
        {
            // A snapshot between two updates would hold the EMA of an earlier step under a later step's name, and
            // Synthesize would solve for the wrong profile.
            throw new ArgumentException(
                $"PostHocEmaOptions.SnapshotEvery = {options.SnapshotEvery} is not a multiple of EmaOptions.UpdateEvery = {cadence}: snapshots must fall on steps where the EMAs update.",
                nameof(options));
        }

        if (!FloatingDtypes.Contains(options.SnapshotDtype))
        {
            throw new ArgumentException($"PostHocEmaOptions.SnapshotDtype = {options.SnapshotDtype} is not a floating-point dtype; use Float32, BFloat16, Float16 or Float64.", nameof(options));
        }

        Options = options;
        _signature = PostHocSnapshot.Signature(model);
        var emas = new List<ModelEma>();
        try
        {
            foreach (double sigmaRel in options.SigmaRels)
            {
                emas.Add(new ModelEma(model, new PowerEmaParams(sigmaRel: sigmaRel), options.EmaOptions));
            }
        }
        catch
        {
            emas.ForEach(e => e.Dispose());
            throw;
        }

        _emas = emas.ToArray();
    }

    /// <summary>The profiles, the snapshot directory and cadence.</summary>
    public PostHocEmaOptions Options { get; }

    /// <summary>The tracked power EMAs, in the order of <see cref="PostHocEmaOptions.SigmaRels"/> (owned here: do not dispose them).</summary>
    public IReadOnlyList<ModelEma> Emas => _emas;

    /// <summary>Updates every profile after one optimizer step, and writes a snapshot of each when <c>step % SnapshotEvery == 0</c>.</summary>
    /// <remarks>The step follows <see cref="ModelEma.Update"/>'s rule: at least 1, and greater than the previous call's (or the step restored).</remarks>
    /// <param name="step">The step, counting from 1.</param>
    /// <param name="totalSteps">The total number of steps.</param>
    /// <exception cref="ArgumentOutOfRangeException">The step breaks the step rule; no profile is updated.</exception>
    public void Update(long step, long totalSteps)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Checked once for all profiles, so that a bad step updates none of them (power schedules do not read the total).
        StepRule.Check("PostHocEma.Update", step, _emas[0].LastStep, totalSteps, totalReader: null);
        foreach (ModelEma ema in _emas)
        {
            ema.Update(step, totalSteps);
        }

        if (step > 0 && step % Options.SnapshotEvery == 0)
        {
            for (int i = 0; i < _emas.Length; i++)
            {
                WriteSnapshot(Options.SigmaRels[i], _emas[i], step);
            }
        }
    }

    /// <summary>
    /// Puts into <paramref name="model"/> the power EMA of <paramref name="sigmaRel"/> at <paramref name="atStep"/>,
    /// synthesized from the snapshots in <paramref name="snapshotDirectory"/> with EDM2's Algorithm 3 (least squares
    /// over the snapshots' averaging profiles). Reads one snapshot and one tensor at a time: the extra memory is one
    /// float32 copy of the model (float64 for a float64 model) plus one tensor. Integer buffers come from the latest snapshot used.
    /// </summary>
    /// <param name="snapshotDirectory">The directory <see cref="PostHocEma"/> wrote.</param>
    /// <param name="sigmaRel">The profile wanted, in (0, 1/sqrt(12)).</param>
    /// <param name="model">The model of the snapshots; its weights are replaced.</param>
    /// <param name="atStep">The step wanted, at most the last snapshot's; default: the last snapshot's. Snapshots after it are not used.</param>
    /// <exception cref="ArgumentException">No snapshots, one profile only, no snapshot at or before <paramref name="atStep"/>, or snapshots of another model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigmaRel"/> is out of range, or <paramref name="atStep"/> is past the last snapshot.</exception>
    /// <exception cref="InvalidOperationException">The model computes with an EMA's weights (inside <see cref="ModelEma.UseEmaWeights"/>) or is bound as a twin (<see cref="ModelEma.BindTwin"/>); nothing is read or changed.</exception>
    public static void Synthesize(string snapshotDirectory, double sigmaRel, nn.Module model, long? atStep = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshotDirectory);
        ArgumentNullException.ThrowIfNull(model);
        ModelOwnership.ThrowIfNotWritable(model, "PostHocEma.Synthesize");
        _ = PowerProfile.GammaOf(sigmaRel); // the range check, before any snapshot is read

        List<PostHocSnapshot> snapshots = SelectSnapshots(snapshotDirectory, PostHocSnapshot.Signature(model), atStep);
        long step = atStep ?? snapshots[^1].Step;
        double[] weights = PostHocWeights.Solve(snapshots.Select(s => (s.Step, s.SigmaRel)).ToArray(), sigmaRel, step);
        PostHocSynthesis.Apply(model, snapshots, weights);
    }

    /// <summary>
    /// <see cref="Synthesize(string, double, nn.Module, long?)"/> without model code (the <c>ema posthoc</c> tool): the
    /// same snapshot selection, solve and streaming sum, into new CPU tensors shaped as the snapshots' (floating
    /// point as float32, float64 kept; integer buffers from the latest snapshot used). The snapshots must share one
    /// model signature. The caller disposes the tensors.
    /// </summary>
    internal static Dictionary<string, Tensor> SynthesizeTensors(string snapshotDirectory, double sigmaRel, long? atStep = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshotDirectory);
        _ = PowerProfile.GammaOf(sigmaRel);
        List<PostHocSnapshot> snapshots = SelectSnapshots(snapshotDirectory, signature: null, atStep);
        long step = atStep ?? snapshots[^1].Step;
        double[] weights = PostHocWeights.Solve(snapshots.Select(s => (s.Step, s.SigmaRel)).ToArray(), sigmaRel, step);
        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using CheckpointContent latest = CheckpointContent.Open(snapshots[^1].Path);
            foreach ((string name, StoredTensor stored) in latest.StateDictAt(null))
            {
                bool floating = FloatingDtypes.Contains(stored.Type);
                targets.Add(name, zeros(stored.Shape, floating && stored.Type != ScalarType.Float64 ? ScalarType.Float32 : stored.Type));
            }

            PostHocSynthesis.Apply(targets, snapshots, weights);
            return targets;
        }
        catch
        {
            foreach (Tensor target in targets.Values)
            {
                target.Dispose();
            }

            throw;
        }
    }

    /// <summary>Frees the tracked EMAs; the model keeps its weights.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (ModelEma ema in _emas)
        {
            ema.Dispose();
        }
    }

    /// <summary>The snapshots up to <paramref name="atStep"/>, all of the model whose signature is given (null: of one model, whichever it is).</summary>
    private static List<PostHocSnapshot> SelectSnapshots(string directory, string? signature, long? atStep)
    {
        List<PostHocSnapshot> all = PostHocSnapshot.List(directory);
        if (signature is null && all.FirstOrDefault(s => s.ModelSignature != all[^1].ModelSignature) is { } mixed)
        {
            throw new ArgumentException(
                $"The snapshot '{mixed.Path}' is of another model (signature {mixed.ModelSignature}) than '{all[^1].Path}' (signature {all[^1].ModelSignature}): " +
                "one directory must hold the snapshots of one run.",
                "snapshotDirectory");
        }

        if (signature is not null && all.FirstOrDefault(s => s.ModelSignature != signature) is { } foreign)
        {
            throw new ArgumentException(
                $"The snapshot '{foreign.Path}' is of another model: its tensor names, shapes or integer dtypes (signature {foreign.ModelSignature}) " +
                $"differ from those of the model given (signature {signature}).",
                "model");
        }

        long last = all[^1].Step;
        if (atStep is { } wanted && wanted > last)
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(atStep),
                $"atStep = {ConfigErrors.Format(wanted)} is past the last snapshot in '{directory}' (step {last}): an EMA can be synthesized only up to the last snapshot.");
        }

        List<PostHocSnapshot> used = all.Where(s => s.Step <= (atStep ?? last)).ToList();
        if (used.Count == 0)
        {
            throw new ArgumentException($"No snapshot in '{directory}' is at or before atStep = {atStep}; the first is at step {all[0].Step}.", nameof(atStep));
        }

        double[] profiles = used.Select(s => s.SigmaRel).Distinct().ToArray();
        if (profiles.Length < 2)
        {
            throw new ArgumentException(
                $"The snapshots in '{directory}' up to step {atStep ?? last} track one profile only (sigma_rel = {profiles[0].ToString("R", CultureInfo.InvariantCulture)}): " +
                "synthesizing another length needs at least two (EDM2 keeps 0.05 and 0.10).",
                "snapshotDirectory");
        }

        return used;
    }

    private void WriteSnapshot(double sigmaRel, ModelEma ema, long step)
    {
        string path = Path.Combine(Options.SnapshotDirectory, PostHocSnapshot.FileName(sigmaRel, step));
        ema.ThrowIfHoldsNonFinite("PostHocEma.Update (snapshot)");
        var tensors = new List<KeyValuePair<string, Tensor>>();
        try
        {
            using (no_grad())
            {
                foreach ((string name, Tensor weight) in ema.EmaWeights)
                {
                    Tensor stored = weight.is_floating_point() && weight.dtype != Options.SnapshotDtype ? weight.to(Options.SnapshotDtype) : weight.alias();
                    tensors.Add(new(name, stored));
                }
            }

            AtomicFile.Write(path, stream => SafetensorsWriter.Write(stream, tensors, PostHocSnapshot.Metadata(sigmaRel, step, _signature)));
        }
        finally
        {
            tensors.ForEach(t => t.Value.Dispose());
        }
    }
}
