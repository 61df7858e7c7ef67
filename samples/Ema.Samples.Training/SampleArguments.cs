using System.Globalization;

namespace Ema.Samples.Training;

/// <summary>
/// The sample's command line: <c>[config.json] [--device cpu|cuda] [--out DIR] [--max-epochs N] [--train-size N]
/// [--self-distill] [--compare-averaging] [--data spirals|fashion-mnist] [--data-dir DIR] [--train-subset N] [--test-subset N] [--epochs N] [--benchmark] [--seeds N]</c>.
/// </summary>
internal sealed record SampleArguments
{
    public const string Usage = "usage: Ema.Samples.Training [config.json] [--device cpu|cuda] [--out DIR] [--max-epochs N] [--train-size N] [--self-distill] [--compare-averaging]"
        + " [--data spirals|fashion-mnist] [--data-dir DIR] [--train-subset N] [--test-subset N] [--epochs N] [--benchmark] [--seeds N]";

    /// <summary>The training config given on the command line, or null for the data set's default.</summary>
    public string? ExplicitConfigPath { get; init; }

    /// <summary>The training config in SuperGradients' shape; the defaults ship beside the program, one per data set.</summary>
    public string ConfigPath => ExplicitConfigPath ?? Path.Combine(AppContext.BaseDirectory, Data == "fashion-mnist" ? "fashion_mnist.json" : "train.json");

    /// <summary>The data set: the embedded spirals (no data needed) or Fashion-MNIST from Debian's dataset-fashion-mnist.</summary>
    public string Data { get; init; } = "spirals";

    /// <summary>The folder with Fashion-MNIST's four IDX .gz files.</summary>
    public string DataDirectory { get; init; } = FashionMnist.FashionMnistData.DefaultDirectory;

    /// <summary>Fashion-MNIST: train on the first N of the 60,000 training images.</summary>
    public int? TrainSubset { get; init; }

    /// <summary>Fashion-MNIST: evaluate on the first N of the 10,000 test images (a shorter benchmark on a loaded machine).</summary>
    public int? TestSubset { get; init; }

    /// <summary>Fashion-MNIST: the benchmark (seeds x epochs, schedules, PyTorch side by side) instead of one training run.</summary>
    public bool Benchmark { get; init; }

    /// <summary>The benchmark's number of seeds.</summary>
    public int Seeds { get; init; } = 3;

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
                case "--max-epochs" or "--epochs":
                    result = result with { MaxEpochs = PositiveInt(Value(args, ref i, arg), arg) };
                    break;
                case "--train-size":
                    result = result with { TrainSize = PositiveInt(Value(args, ref i, arg), arg) };
                    break;
                case "--data":
                    string data = Value(args, ref i, arg).ToLowerInvariant();
                    if (data is not ("spirals" or "fashion-mnist"))
                    {
                        throw new ArgumentException($"--data {data}: allowed values are spirals and fashion-mnist.");
                    }

                    result = result with { Data = data };
                    break;
                case "--data-dir":
                    result = result with { DataDirectory = Path.GetFullPath(Value(args, ref i, arg)) };
                    break;
                case "--train-subset":
                    result = result with { TrainSubset = PositiveInt(Value(args, ref i, arg), arg) };
                    break;
                case "--test-subset":
                    result = result with { TestSubset = PositiveInt(Value(args, ref i, arg), arg) };
                    break;
                case "--benchmark":
                    result = result with { Benchmark = true };
                    break;
                case "--seeds":
                    result = result with { Seeds = PositiveInt(Value(args, ref i, arg), arg) };
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

                    result = result with { ExplicitConfigPath = Path.GetFullPath(arg) };
                    break;
            }
        }

        if (result.Data != "fashion-mnist" && (result.TrainSubset is not null || result.TestSubset is not null || result.Benchmark))
        {
            throw new ArgumentException($"{(result.Benchmark ? "--benchmark" : result.TrainSubset is not null ? "--train-subset" : "--test-subset")} needs --data fashion-mnist.");
        }

        if (result.Data == "fashion-mnist" && result.SelfDistill)
        {
            throw new ArgumentException("--self-distill runs on the spirals only: leave out --data fashion-mnist.");
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
