// Over 300 lines: tracking (Update, snapshots, continuing a run) and synthesis (snapshot selection with its run,
// model and exact-step checks) share the snapshot rules; the solve is PostHocWeights.cs, the streaming sum
// PostHocSynthesis.cs, the file naming and metadata PostHocSnapshot.cs.
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
    private List<PostHocSnapshot>? _continued;
    private bool _disposed;

    /// <summary>Starts one power EMA of <paramref name="model"/> per sigma_rel (several EMAs of one model share its buffer).</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">The profiles, the snapshot directory and cadence.</param>
    /// <exception cref="ArgumentException">
    /// The snapshot dtype is not a floating-point dtype; snapshots would fall between the EMAs' updates; the directory
    /// holds snapshots of another run (without <see cref="PostHocEmaOptions.ContinueRun"/>), of several runs, or of
    /// another model or other profiles than the run continued.
    /// </exception>
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
        (RunId, _continued) = ChooseRun(options, _signature);
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

    /// <summary>
    /// The id written into every snapshot's metadata (<c>run_id</c>): new for a new run, the continued run's with
    /// <see cref="PostHocEmaOptions.ContinueRun"/>.
    /// </summary>
    public string RunId { get; }

    /// <summary>The tracked power EMAs, in the order of <see cref="PostHocEmaOptions.SigmaRels"/> (owned here: do not dispose them).</summary>
    public IReadOnlyList<ModelEma> Emas => _emas;

    /// <summary>Updates every profile after one optimizer step, and writes a snapshot of each when <c>step % SnapshotEvery == 0</c>.</summary>
    /// <remarks>The step follows <see cref="ModelEma.Update(long, long)"/>'s rule: at least 1, and greater than the previous call's (or the step restored).</remarks>
    /// <param name="step">The step, counting from 1.</param>
    /// <param name="totalSteps">The total number of steps.</param>
    /// <exception cref="ArgumentOutOfRangeException">The step breaks the step rule; no profile is updated.</exception>
    public void Update(long step, long totalSteps)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Checked once for all profiles, and before a continued run restores or deletes anything, so that a bad step
        // changes nothing (power schedules do not read the total). A continued run restores step - 1 below.
        StepRule.Check("PostHocEma.Update", step, _continued is null ? _emas[0].LastStep : 0, totalSteps, totalReader: null);
        if (_continued is { } continued)
        {
            ContinueAt(continued, step);
            _continued = null;
        }

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
    /// <param name="atStep">The step wanted: a snapshot step; default: the last snapshot's. Snapshots after it are not used.</param>
    /// <exception cref="ArgumentException">No snapshots, one profile only, <paramref name="atStep"/> before the first snapshot or between two snapshot steps, snapshots of another model, or a synthesized value the model's dtype cannot hold (beyond float16's 65504 for a float16 model; nothing is changed).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigmaRel"/> is out of range or too far from the tracked profiles for the snapshots to make it (the fit is more than 5% off), or <paramref name="atStep"/> is past the last snapshot.</exception>
    /// <exception cref="InvalidOperationException">The model computes with an EMA's weights (inside <see cref="ModelEma.UseEmaWeights"/>) or is bound as a twin (<see cref="ModelEma.BindTwin"/>); nothing is read or changed.</exception>
    public static void Synthesize(string snapshotDirectory, double sigmaRel, nn.Module model, long? atStep = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshotDirectory);
        ArgumentNullException.ThrowIfNull(model);
        TensorClaims.ThrowIfNotWritable(model, "PostHocEma.Synthesize");
        (List<PostHocSnapshot> snapshots, double[] weights) = Plan(snapshotDirectory, sigmaRel, PostHocSnapshot.Signature(model), atStep);
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
        (List<PostHocSnapshot> snapshots, double[] weights) = Plan(snapshotDirectory, sigmaRel, signature: null, atStep);
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

    /// <summary>
    /// A new run gets a new id and an empty directory (for its snapshots); a continued run keeps its id, and its
    /// snapshots are returned so that the first update can restore the EMAs from them.
    /// </summary>
    private static (string RunId, List<PostHocSnapshot>? Continued) ChooseRun(PostHocEmaOptions options, string signature)
    {
        string directory = options.SnapshotDirectory;
        List<PostHocSnapshot> existing = PostHocSnapshot.ListExisting(directory);
        if (existing.Count == 0)
        {
            return (Guid.NewGuid().ToString("N"), null);
        }

        string runs = PostHocSnapshot.DescribeRuns(existing);
        if (!options.ContinueRun)
        {
            throw new ArgumentException(
                $"The snapshot directory '{directory}' already holds post-hoc snapshots ({runs}); a new run's snapshots would be mixed with them in Synthesize. " +
                "Give the new run an empty directory, move or delete the old snapshots, or set PostHocEmaOptions.ContinueRun = true to continue that run (when resuming its training).",
                nameof(options));
        }

        if (existing.Select(s => s.RunId).Distinct().Count() != 1 || existing[0].RunId is null)
        {
            throw new ArgumentException(
                $"PostHocEmaOptions.ContinueRun: the snapshot directory '{directory}' must hold the snapshots of one run with a run id, but it holds {runs}. Move the other runs' snapshots away.",
                nameof(options));
        }

        if (existing.FirstOrDefault(s => s.ModelSignature != signature) is { } foreign)
        {
            throw new ArgumentException($"PostHocEmaOptions.ContinueRun: the snapshot '{foreign.Path}' is of another model (signature {foreign.ModelSignature}, this model's is {signature}).", nameof(options));
        }

        double[] tracked = existing.Select(s => s.SigmaRel).Distinct().Order().ToArray();
        if (!tracked.SequenceEqual(options.SigmaRels.Order()))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"PostHocEmaOptions.ContinueRun: run {existing[0].RunId} in '{directory}' tracks sigma_rel {string.Join(", ", tracked)}, these options ask for {string.Join(", ", options.SigmaRels.Order())}; a run keeps its profiles."),
                nameof(options));
        }

        return (existing[0].RunId!, existing);
    }

    /// <summary>
    /// Restores each tracked EMA from the continued run's snapshot at <c>step - 1</c> (where training resumed) and
    /// deletes the run's snapshots at <paramref name="step"/> and later: they belong to the stretch after the
    /// checkpoint, which this run is about to train again.
    /// </summary>
    private void ContinueAt(List<PostHocSnapshot> continued, long step)
    {
        long resumedAt = step - 1;
        if (resumedAt > 0)
        {
            for (int i = 0; i < _emas.Length; i++)
            {
                double sigmaRel = Options.SigmaRels[i];
                PostHocSnapshot snapshot = continued.FirstOrDefault(s => s.Step == resumedAt && s.SigmaRel == sigmaRel)
                    ?? throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"PostHocEma continues run {RunId} at step {step}, but '{Options.SnapshotDirectory}' has no snapshot of sigma_rel {sigmaRel:R} at step {resumedAt} to restore it from " +
                        $"(the run's snapshot steps: {string.Join(", ", continued.Select(s => s.Step).Distinct())}). Resume training from a checkpoint written at a snapshot step (make SnapshotEvery divide the steps between checkpoints)."));
                LoadSnapshot(_emas[i], snapshot, resumedAt);
            }
        }

        foreach (PostHocSnapshot later in continued.Where(s => s.Step >= step))
        {
            File.Delete(later.Path);
        }
    }

    private static void LoadSnapshot(ModelEma ema, PostHocSnapshot snapshot, long step)
    {
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            SafetensorsReader.ReadEach(snapshot.Path, (name, tensor) => weights[name] = tensor.clone());
            ema.Load(weights, step);
        }
        finally
        {
            foreach (Tensor tensor in weights.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// The snapshots up to <paramref name="atStep"/>, which must end exactly there, of one run and all of the model whose
    /// signature is given (null: of one model, whichever it is; the <c>ema posthoc</c> tool has no model).
    /// </summary>
    private static List<PostHocSnapshot> SelectSnapshots(string directory, string? signature, long? atStep)
    {
        List<PostHocSnapshot> all = PostHocSnapshot.List(directory);
        if (all.Select(s => s.RunId).Distinct().Count() > 1)
        {
            throw new ArgumentException(
                $"The directory '{directory}' holds the snapshots of several runs ({PostHocSnapshot.DescribeRuns(all)}); their synthesis would mix two trajectories. " +
                "Move each run's snapshots (metadata 'run_id') into a directory of its own.",
                "snapshotDirectory");
        }

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

        if (atStep is { } between && used[^1].Step != between)
        {
            // The power profile ending at atStep puts most of its weight just before atStep, where no snapshot
            // ends: the closest sum of the earlier snapshots is 68-84% off, and the weights it gives are garbage.
            long after = all.First(s => s.Step > between).Step;
            throw new ArgumentException(
                $"atStep = {between} falls between the snapshots at steps {used[^1].Step} and {after} in '{directory}': an EMA can be synthesized exactly only at a snapshot step. Use atStep: {used[^1].Step} or {after}.",
                nameof(atStep));
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

    /// <summary>
    /// What both synthesis paths (into a model, and the model-free <c>ema posthoc</c>) share: the sigma_rel range, the
    /// snapshots (<see cref="SelectSnapshots"/>), EDM2's solve and the refusal of a fit too far off.
    /// </summary>
    private static (List<PostHocSnapshot> Snapshots, double[] Weights) Plan(string directory, double sigmaRel, string? signature, long? atStep)
    {
        _ = PowerProfile.GammaOf(sigmaRel); // the range check, before any snapshot is read
        List<PostHocSnapshot> snapshots = SelectSnapshots(directory, signature, atStep);
        long step = atStep ?? snapshots[^1].Step;
        (long Step, double SigmaRel)[] profiles = snapshots.Select(s => (s.Step, s.SigmaRel)).ToArray();
        double[] weights = PostHocWeights.Solve(profiles, sigmaRel, step);
        RequireCloseFit(directory, profiles, sigmaRel, step, weights);
        return (snapshots, weights);
    }

    /// <summary>Refuses a profile the snapshots cannot make: the fit of <see cref="PostHocWeights.Solve"/> is too far off.</summary>
    private static void RequireCloseFit(string directory, (long Step, double SigmaRel)[] profiles, double sigmaRel, long step, double[] weights)
    {
        double error = PostHocWeights.RelativeError(profiles, sigmaRel, step, weights);
        if (!(error <= PostHocWeights.MaxRelativeError))
        {
            string tracked = string.Join(", ", profiles.Select(p => p.SigmaRel).Distinct().Order().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            int steps = profiles.Select(p => p.Step).Distinct().Count();
            string message = FormattableString.Invariant(
                $"sigma_rel = {sigmaRel:R} at step {step} cannot be synthesized from the snapshots in '{directory}' (sigma_rel {tracked} at {steps} steps): the closest sum of their averaging profiles is {error * 100:F1}% off (relative L2; at most {PostHocWeights.MaxRelativeError * 100:F0}% is allowed). Ask for a sigma_rel nearer the tracked ones, or track a wider pair and snapshot more often.");
            throw ConfigErrors.ArgumentOutOfRange(nameof(sigmaRel), message);
        }
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

            AtomicFile.Write(path, stream => SafetensorsWriter.Write(stream, tensors, PostHocSnapshot.Metadata(sigmaRel, step, _signature, RunId)));
        }
        finally
        {
            tensors.ForEach(t => t.Value.Dispose());
        }
    }
}
