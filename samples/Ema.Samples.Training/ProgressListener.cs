using Spectre.Console;

namespace Ema.Samples.Training;

/// <summary>
/// Shows training progress: a progress bar per epoch with the running loss on <paramref name="console"/> (the output
/// is a terminal), plain lines (a few per epoch) on <paramref name="output"/> when there is no console, and each
/// epoch's validation metric for the raw and EMA weights.
/// </summary>
internal sealed class ProgressListener(TextWriter output, IAnsiConsole? console) : TrainingListener
{
    private ProgressContext? _progress;
    private ProgressTask? _epochTask;
    private int _stepsInEpoch;
    private double _lossSum;
    private int _lossCount;

    /// <summary>The last batch loss, set by the sample's loss wrapper.</summary>
    public double LastLoss { get; set; } = double.NaN;

    public void Attach(ProgressContext progress) => _progress = progress;

    public override void OnTrainingStart(TrainingContext context)
    {
        WriteLine($"training for {context.Params.MaxEpochs} epochs of {context.BatchesPerEpoch} batches ({context.TotalSteps} steps), EMA {(context.Params.Ema ? context.Params.EmaParams.ToString() : "off")}");
        StartEpoch(context);
    }

    public override void OnOptimizerStep(TrainingContext context)
    {
        _stepsInEpoch++;
        _lossSum += LastLoss;
        _lossCount++;
        int stepsPerEpoch = StepsPerEpoch(context);
        if (_epochTask is not null)
        {
            _epochTask.Description = $"epoch {context.Epoch}/{context.Params.MaxEpochs}  loss {_lossSum / _lossCount:F4}";
            _epochTask.Increment(1);
        }
        else if (_stepsInEpoch % ((stepsPerEpoch + 3) / 4) == 0 || _stepsInEpoch == stepsPerEpoch)
        {
            output.WriteLine($"epoch {context.Epoch}/{context.Params.MaxEpochs}  step {_stepsInEpoch}/{stepsPerEpoch}  loss {_lossSum / _lossCount:F4}");
        }
    }

    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        string ema = result.EmaMetric is { } value ? $"  EMA {value:F4}" : string.Empty;
        string line = $"epoch {result.Epoch}/{context.Params.MaxEpochs}  train loss {result.TrainLoss:F4}  validation accuracy: raw {result.RawMetric:F4}{ema}{(result.IsBest ? "  (best)" : string.Empty)}";
        if (_epochTask is not null)
        {
            _epochTask.Description = $"epoch {context.Epoch}/{context.Params.MaxEpochs}  done";
            _epochTask.StopTask();
        }

        WriteLine(line);

        if (result.Epoch < context.Params.MaxEpochs)
        {
            StartEpoch(context);
        }
    }

    private void StartEpoch(TrainingContext context)
    {
        _stepsInEpoch = 0;
        _lossSum = 0;
        _lossCount = 0;
        if (console is not null && _progress is not null)
        {
            _epochTask = _progress.AddTask($"epoch {context.Epoch + 1}/{context.Params.MaxEpochs}", maxValue: StepsPerEpoch(context));
        }
    }

    /// <summary>
    /// While the progress bars are live, lines go through the console, which prints them above the bars; written to
    /// the underlying writer directly they would be overdrawn.
    /// </summary>
    private void WriteLine(string line)
    {
        if (console is not null)
        {
            console.WriteLine(line);
        }
        else
        {
            output.WriteLine(line);
        }
    }

    private static int StepsPerEpoch(TrainingContext context) =>
        (int)((context.BatchesPerEpoch + context.Params.BatchAccumulate - 1) / context.Params.BatchAccumulate);
}
