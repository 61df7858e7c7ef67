// Over 300 lines: one training loop (epochs, accumulation, validation, checkpoints, resume checks) read top to
// bottom; the EMA and checkpoints are callbacks (Callbacks/), the averaging keys Trainer.Averaging.cs, batches BatchPull.cs.
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A compact trainer in SuperGradients' shape: epochs of training batches with gradient accumulation, the EMA
/// lifecycle (<see cref="EmaCallback"/>), validation of the raw and the EMA weights, checkpoints
/// (<see cref="CheckpointCallback"/>), resume, and a knowledge-distillation mode.
/// </summary>
/// <remarks>
/// <para>Batch accumulation k: each batch's loss is divided by the size of its accumulation group and
/// back-propagated; the optimizer steps (and the EMA updates) after every k batches. A partial group at the end of
/// an epoch (batches per epoch not a multiple of k) still gets its step, scaled by its own size, so no batch is
/// dropped and no gradient leaks into the next epoch. The EMA step is the global index of the group's last batch.</para>
/// <para>Every batch runs in its own dispose scope: tensors made by the loss, the backward pass or a lazily
/// produced batch are freed when the batch ends.</para>
/// </remarks>
public sealed partial class Trainer : IDisposable
{
    private readonly ITrainingTask _task;
    private readonly bool _ownsOptimizer;

    /// <summary>Makes a trainer for supervised training.</summary>
    /// <param name="model">The model.</param>
    /// <param name="loss">The loss from (model output, target).</param>
    /// <param name="trainingParams">max_epochs, batch_accumulate, initial_lr, ema, ema_params.</param>
    /// <param name="optimizer">The optimizer of the model's parameters, or null for SGD at <c>initial_lr</c>. Make it after the model is on its device.</param>
    /// <param name="options">Checkpoints, metric, device, listeners.</param>
    public Trainer(nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss, TrainingParams trainingParams,
        optim.Optimizer? optimizer = null, TrainerOptions? options = null)
        : this(new SupervisedTask(
            Moved(model ?? throw new ArgumentNullException(nameof(model)), options?.Device),
            loss ?? throw new ArgumentNullException(nameof(loss))), trainingParams, optimizer, options)
    {
    }

    /// <summary>Makes a trainer for knowledge distillation: the student trains (and is averaged and checkpointed), the teacher stays frozen.</summary>
    /// <param name="model">The student and the teacher.</param>
    /// <param name="loss">The loss from (student output, teacher output, target), for example <see cref="KnowledgeDistillationLoss.Compute"/>.</param>
    /// <param name="trainingParams">max_epochs, batch_accumulate, initial_lr, ema, ema_params, ema_teacher (the teacher is the student's EMA).</param>
    /// <param name="optimizer">The optimizer of the student's parameters, or null for SGD at <c>initial_lr</c>.</param>
    /// <param name="options">Checkpoints, metric, device, listeners.</param>
    public Trainer(KnowledgeDistillationModule model, KnowledgeDistillationLossFunction loss, TrainingParams trainingParams,
        optim.Optimizer? optimizer = null, TrainerOptions? options = null)
        : this(new DistillationTask(
            Moved(model ?? throw new ArgumentNullException(nameof(model)), options?.Device),
            loss ?? throw new ArgumentNullException(nameof(loss))), trainingParams, optimizer, options)
    {
    }

    private Trainer(ITrainingTask task, TrainingParams trainingParams, optim.Optimizer? optimizer, TrainerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(trainingParams);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainingParams.MaxEpochs, 1, "trainingParams.MaxEpochs");
        ArgumentOutOfRangeException.ThrowIfLessThan(trainingParams.BatchAccumulate, 1, "trainingParams.BatchAccumulate");
        Options = options ?? new TrainerOptions();
        if (Options.Resume && Options.CheckpointDirectory is null)
        {
            throw new ArgumentException("TrainerOptions.Resume needs a CheckpointDirectory to find ckpt_latest.safetensors (or ckpt_latest.pth) in.", nameof(options));
        }

        CheckEmaTeacher(task, trainingParams);
        _task = task;
        Params = trainingParams;
        _ownsOptimizer = optimizer is null;
        Optimizer = optimizer ?? optim.SGD(task.Trained.parameters(), trainingParams.InitialLr);
    }

    /// <summary>The module trained, averaged and checkpointed (the student in knowledge distillation).</summary>
    public nn.Module Model => _task.Trained;

    /// <summary>The optimizer.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The training parameters.</summary>
    public TrainingParams Params { get; }

    /// <summary>The code-only options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>
    /// Trains for the remaining epochs (all of them, or those after the checkpoint when resuming). At the end the
    /// model holds the EMA weights when <c>ema</c> is on.
    /// </summary>
    /// <param name="trainData">
    /// Training batches (input, target), enumerated once per epoch; every epoch must give the same number: the
    /// collection's count, or <see cref="TrainerOptions.BatchesPerEpoch"/> for a lazy sequence. Tensors the source
    /// makes while producing a batch, other than the batch's own input and target, are the source's (its shuffling
    /// state, for example): the trainer frees only the batch.
    /// </param>
    /// <param name="validationData">Validation batches, enumerated for each validation pass.</param>
    /// <returns>The results of the epochs run.</returns>
    public IReadOnlyList<EpochResult> Train(IEnumerable<(Tensor Input, Tensor Target)> trainData, IEnumerable<(Tensor Input, Tensor Target)> validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(validationData);
        CheckAveragingKeys();
        long batchesPerEpoch = CountBatches(trainData);
        if (batchesPerEpoch > long.MaxValue / Params.MaxEpochs)
        {
            throw new ArgumentException($"{batchesPerEpoch} batches per epoch ({BatchCountSource}) x max_epochs = {Params.MaxEpochs} overflows the EMA's total steps (a 64-bit count).", nameof(trainData));
        }

        var context = new TrainingContext(Model, Optimizer, Params, batchesPerEpoch);
        using EmaCallback? emaCallback = Params.Ema ? new EmaCallback(Params.EmaParams, CheckedEmaOptions()) : null;
        var listeners = new List<ITrainingListener>();
        if (emaCallback is not null)
        {
            listeners.Add(emaCallback);
        }

        if (Options.CheckpointDirectory is { } directory)
        {
            listeners.Add(new CheckpointCallback(directory, Params.CheckpointFormat));
        }

        listeners.AddRange(Options.Listeners);
        var results = new List<EpochResult>();
        try
        {
            Raise(listeners, l => l.OnTrainingStart(context));
            using TwinBinding? emaTeacher = BindEmaTeacher(context);
            int firstEpoch = 1;
            double? best = null;
            if (Options.Resume)
            {
                string latest = Path.Combine(Options.CheckpointDirectory!, Checkpoint.LatestFileNameOf(Params.CheckpointFormat));
                CheckResumable(latest, Checkpoint.ReadInfo(latest), batchesPerEpoch);
                CheckpointInfo info = Checkpoint.Resume(latest, Model, context.Ema, Optimizer);
                firstEpoch = info.Epoch + 1;
                context.GlobalStep = info.GlobalStep;

                // A NaN or infinite best (written before only finite metrics could be best) would win or lose every
                // comparison for the rest of the run: it counts as no best yet.
                best = info.BestMetric is { } saved && double.IsFinite(saved) ? saved : null;
            }

            // long: with max_epochs = int.MaxValue an int counter would wrap instead of ending.
            for (long epochNumber = firstEpoch; epochNumber <= Params.MaxEpochs; epochNumber++)
            {
                int epoch = (int)epochNumber;
                context.Epoch = epoch;
                double trainLoss = TrainEpoch(context, trainData, listeners);

                // With EMA, the raw weights are validated first (they are in the model anyway); the watched pass
                // then runs between the validation events, which swap the EMA in and out.
                double? raw = context.Ema is not null ? Validate(validationData) : null;
                if (Params.EmaRecomputeBn == BatchNormRecompute.Validation)
                {
                    RecomputeEmaBatchNorm(context, trainData);
                }

                Raise(listeners, l => l.OnValidationStart(context));
                double watched = Validate(validationData);
                Raise(listeners, l => l.OnValidationEnd(context));

                bool isBest = Improves(watched, best);
                best = isBest ? watched : best;
                var result = new EpochResult(epoch, trainLoss, raw ?? watched, raw is null ? null : watched, best ?? double.NaN, isBest);
                results.Add(result);
                Raise(listeners, l => l.OnEpochEnd(context, result));
            }

            if (Params.EmaRecomputeBn == BatchNormRecompute.End)
            {
                RecomputeEmaBatchNorm(context, trainData);
            }

            Raise(listeners, l => l.OnTrainingEnd(context));
        }
        finally
        {
            context.Ema = null; // the callback's EMA is disposed with it
        }

        return results;
    }

    /// <summary>
    /// Whether the watched metric beats the best so far. Only a finite metric can: a NaN compares false with
    /// everything, so a NaN best would never be beaten (ckpt_best frozen for good), and an infinite one is a
    /// diverged run, not a model to keep.
    /// </summary>
    private bool Improves(double watched, double? best) =>
        double.IsFinite(watched) && (best is not { } b || (Options.GreaterIsBetter ? watched > b : watched < b));

    /// <summary>
    /// Refuses to resume a run whose EMA trajectory would differ from the checkpoint's: other EMA parameters or
    /// another number of batches per epoch (the step count, and so every decay, would change). Checked before
    /// anything is loaded.
    /// </summary>
    private void CheckResumable(string path, CheckpointInfo info, long batchesPerEpoch)
    {
        if (info.Epoch > Params.MaxEpochs)
        {
            throw new CheckpointException(path,
                $"the checkpoint was written after epoch {info.Epoch}, past this run's max_epochs = {Params.MaxEpochs}: there is nothing to resume. Raise max_epochs to train on (the EMA's total steps change with it), or start a new run.");
        }

        if (info.GlobalStep != info.Epoch * batchesPerEpoch)
        {
            throw new CheckpointException(path,
                $"the checkpoint was written after {info.GlobalStep} batches in {info.Epoch} epochs, but this run has {batchesPerEpoch} batches per epoch; " +
                "resuming would change every EMA step. Resume with the same training data.");
        }

        if (Params.Ema && info.Metadata.TryGetValue(CheckpointMetadata.EmaParamsKey, out string? saved))
        {
            EmaParams savedParams;
            try
            {
                savedParams = DecaySchedules.FromJson(saved, logger: null);
            }
            catch (Exception e) when (e is EmaConfigException or System.Text.Json.JsonException)
            {
                // Damaged metadata is damage to the file, reported as every other damage is: naming the file.
                throw new CheckpointException(path, $"__metadata__ '{CheckpointMetadata.EmaParamsKey}' = '{saved}' is not valid ema_params ({e.Message}); the file is damaged.", innerException: e);
            }

            if (savedParams != Params.EmaParams)
            {
                throw new CheckpointException(path,
                    $"the checkpoint's EMA was made with ema_params {saved}, this run asks for {Params.EmaParams.ToJson()}; resuming would mix two EMA trajectories.");
            }
        }
    }

    /// <summary>With <c>ema_teacher</c>, the distillation teacher computes with the student's EMA (see <see cref="TrainingParams.EmaTeacher"/>).</summary>
    private TwinBinding? BindEmaTeacher(TrainingContext context) =>
        Params.EmaTeacher && _task is DistillationTask distillation ? context.Ema!.BindTwin(distillation.Module.Teacher) : null;

    private static void CheckEmaTeacher(ITrainingTask task, TrainingParams trainingParams)
    {
        if (trainingParams.EmaTeacher && !trainingParams.Ema)
        {
            throw new ArgumentException("training_params ema_teacher = true needs ema = true: the teacher is the student's EMA.", nameof(trainingParams));
        }

        if (trainingParams.EmaTeacher && task is not DistillationTask)
        {
            throw new ArgumentException("training_params ema_teacher = true is for knowledge distillation: make the Trainer with a KnowledgeDistillationModule whose teacher is a second instance of the student's architecture.", nameof(trainingParams));
        }
    }

    /// <summary>Frees the optimizer if the trainer made it.</summary>
    public void Dispose()
    {
        if (_ownsOptimizer)
        {
            Optimizer.Dispose();
        }
    }

    private double TrainEpoch(TrainingContext context, IEnumerable<(Tensor Input, Tensor Target)> data, List<ITrainingListener> listeners)
    {
        long batches = context.BatchesPerEpoch;
        int accumulate = Params.BatchAccumulate;
        Model.train();
        using (NewDisposeScope())
        {
            // zero_grad wraps each parameter's grad in a new Tensor object: free them here, not at the next GC.
            Optimizer.zero_grad();
        }

        double lossSum = 0;
        long index = 0;
        using IEnumerator<(Tensor Input, Tensor Target)> enumerator = data.GetEnumerator();
        while (true)
        {
            // A batch the source makes on the fly is freed with this scope; what the source keeps is not (BatchPull).
            using var scope = NewDisposeScope();
            if (!BatchPull.Next(enumerator, out (Tensor Input, Tensor Target) batch))
            {
                break;
            }

            if (index == batches)
            {
                throw new InvalidOperationException($"The training data gave more than {batches} batches in epoch {context.Epoch} ({BatchCountSource}): every epoch must give that number, which the EMA's total steps are computed from.");
            }

            (Tensor input, Tensor target) = OnDevice(batch);
            long groupStart = index / accumulate * accumulate;
            long groupSize = Math.Min(accumulate, batches - groupStart);
            Tensor loss = _task.TrainingLoss(input, target);
            lossSum += loss.ToDouble();
            (groupSize == 1 ? loss : loss / groupSize).backward();
            index++;
            context.GlobalStep++;
            if (index - groupStart == groupSize)
            {
                Optimizer.step();
                Optimizer.zero_grad();
                Raise(listeners, l => l.OnOptimizerStep(context));
            }
        }

        if (index != batches)
        {
            throw new InvalidOperationException($"The training data gave {index} batches in epoch {context.Epoch}, but {batches} were expected ({BatchCountSource}): every epoch must give that number.");
        }

        return lossSum / batches;
    }

    private double Validate(IEnumerable<(Tensor Input, Tensor Target)> data)
    {
        Model.eval();
        using var noGrad = no_grad();
        double sum = 0;
        long count = 0;
        using IEnumerator<(Tensor Input, Tensor Target)> enumerator = data.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!BatchPull.Next(enumerator, out (Tensor Input, Tensor Target) batch))
            {
                break;
            }

            (Tensor input, Tensor target) = OnDevice(batch);
            (Tensor output, Tensor loss) = _task.Validate(input, target);
            sum += Options.ValidationMetric is { } metric ? metric(output, target) : loss.ToDouble();
            count++;
        }

        if (count == 0)
        {
            throw new InvalidOperationException("The validation data gave no batches: there is nothing to measure.");
        }

        return sum / count;
    }

    private (Tensor Input, Tensor Target) OnDevice((Tensor Input, Tensor Target) batch)
    {
        // Only move when needed: a tensor already on the device must not be wrapped again and disposed by the scope.
        if (Options.Device is not { } device)
        {
            return batch;
        }

        Tensor input = batch.Input.device == device ? batch.Input : batch.Input.to(device);
        Tensor target = batch.Target.device == device ? batch.Target : batch.Target.to(device);
        return (input, target);
    }

    /// <summary>The EMA's options, <see cref="TrainingParams.EmaOptions"/>, once the trainer has checked that it can keep their cadence.</summary>
    private ModelEmaOptions CheckedEmaOptions()
    {
        ModelEmaOptions options = Params.EmaOptions;
        if (options.UpdateEvery != 1 && Params.BatchAccumulate != 1)
        {
            // The EMA's step is the global batch index: with accumulation, "every k-th step" would count batches,
            // not optimizer steps, and the d^k correction would be wrong.
            throw new ArgumentException(
                $"ema_update_every = {options.UpdateEvery} with batch_accumulate = {Params.BatchAccumulate} is not supported: the cadence counts batches, not optimizer steps. Use one of the two.");
        }

        return options;
    }

    /// <summary>
    /// The batches per epoch, without a pass over the data (a source may make tensors, shuffle or read files while
    /// it produces batches: a counting pass would do all that twice): <see cref="TrainerOptions.BatchesPerEpoch"/>,
    /// or the count of a collection.
    /// </summary>
    private long CountBatches(IEnumerable<(Tensor Input, Tensor Target)> data)
    {
        // TryGetNonEnumeratedCount knows ICollection<T> and LINQ's own iterators, not IReadOnlyCollection<T> (a
        // source that makes its batches as it is enumerated, with a known count).
        bool counted = data.TryGetNonEnumeratedCount(out int count);
        if (!counted && data is IReadOnlyCollection<(Tensor Input, Tensor Target)> readOnly)
        {
            (counted, count) = (true, readOnly.Count);
        }

        if (Options.BatchesPerEpoch is { } given)
        {
            if (counted && count != given)
            {
                throw new ArgumentException($"TrainerOptions.BatchesPerEpoch = {given}, but the training data is a collection of {count} batches: leave BatchesPerEpoch unset or make them agree.", nameof(data));
            }

            BatchCountSource = $"TrainerOptions.BatchesPerEpoch = {given}";
            return given;
        }

        if (!counted)
        {
            throw new ArgumentException(
                "The training data is a sequence whose length is unknown without enumerating it (not a collection), and the EMA's total steps (batches per epoch x max_epochs) are needed before the first batch: " +
                "set TrainerOptions.BatchesPerEpoch to its batches per epoch, or pass a collection (a List or an array, or an IReadOnlyCollection that makes its batches as it is enumerated).",
                nameof(data));
        }

        BatchCountSource = $"the training collection's Count, {count}";
        return count > 0 ? count : throw new ArgumentException("The training data has no batches.", nameof(data));
    }

    /// <summary>Where the batches per epoch came from, for messages.</summary>
    private string BatchCountSource { get; set; } = string.Empty;

    private static void Raise(List<ITrainingListener> listeners, Action<ITrainingListener> raise)
    {
        foreach (ITrainingListener listener in listeners)
        {
            raise(listener);
        }
    }

    private static T Moved<T>(T model, Device? device)
        where T : nn.Module
    {
        // Before the optimizer and the EMA exist: module.to replaces the Parameter objects.
        if (device is not null)
        {
            model.to(device);
        }

        return model;
    }
}
