using System.Globalization;

namespace Ema.Samples.Training;

/// <summary>The sample's command line: <c>[config.json] [--device cpu|cuda] [--out DIR] [--max-epochs N] [--train-size N] [--self-distill] [--compare-averaging]</c>.</summary>
internal sealed record SampleArguments
{
    public const string Usage = "usage: Ema.Samples.Training [config.json] [--device cpu|cuda] [--out DIR] [--max-epochs N] [--train-size N] [--self-distill] [--compare-averaging]";

    /// <summary>The training config in SuperGradients' shape; the default ships beside the program.</summary>
    public string ConfigPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "train.json");

    public string Device { get; init; } = "cpu";

    public string OutputDirectory { get; init; } = Path.Combine(Environment.CurrentDirectory, "ema-training-output");

    /// <summary>Overrides the config's max_epochs (the smoke test runs one short epoch).</summary>
    public int? MaxEpochs { get; init; }

    public int TrainSize { get; init; } = 6000;

    /// <summary>Instead of the main job, compare plain training with self-distillation from the EMA (<c>ema_teacher</c>).</summary>
    public bool SelfDistill { get; init; }

    /// <summary>Instead of the main job, compare the averaging forms (the config's EMA, SWA with and without recomputed BatchNorm, BEMA, Switch EMA).</summary>
    public bool CompareAveraging { get; init; }

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the argument and what is allowed.</summary>
    public static SampleArguments Parse(IReadOnlyList<string> args)
    {
        var result = new SampleArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--device":
                    string device = Value(args, ref i, arg).ToLowerInvariant();
                    if (device is not ("cpu" or "cuda"))
                    {
                        throw new ArgumentException($"--device {device}: allowed values are cpu and cuda.");
                    }

                    result = result with { Device = device };
                    break;
                case "--out":
                    result = result with { OutputDirectory = Path.GetFullPath(Value(args, ref i, arg)) };
                    break;
                case "--max-epochs":
                    result = result with { MaxEpochs = PositiveInt(Value(args, ref i, arg), arg) };
                    break;
                case "--train-size":
                    result = result with { TrainSize = PositiveInt(Value(args, ref i, arg), arg) };
                    break;
                case "--self-distill":
                    result = result with { SelfDistill = true };
                    break;
                case "--compare-averaging":
                    result = result with { CompareAveraging = true };
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"unknown option {arg}. {Usage}");
                    }

                    result = result with { ConfigPath = Path.GetFullPath(arg) };
                    break;
            }
        }

        return result;
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count)
        {
            throw new ArgumentException($"{option} needs a value. {Usage}");
        }

        return args[++i];
    }

    private static int PositiveInt(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed > 0
            ? parsed
            : throw new ArgumentException($"{option} {value}: expected a positive whole number.");
}
