using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>What the PyTorch script measured for one seed (same initial weights, data order and hyper-parameters).</summary>
/// <param name="Accuracy">Test accuracy per epoch: "raw", "averaged_model" (AveragedModel with an EMA avg_fn) and "foreach" (timm's form).</param>
/// <param name="Seconds">Time over the run in "step", "averaged_model" and "foreach".</param>
internal sealed record PeerSeedResult(string Torch, Dictionary<string, List<double>> Accuracy, Dictionary<string, double> Seconds);

/// <summary>
/// The Fashion-MNIST benchmark (<c>--data fashion-mnist --benchmark</c>): for each seed, Ema's run (raw weights, the
/// exp, threshold and warmup schedules, the power EMA and its post-hoc sweep) and then PyTorch's run of the same seed,
/// taking turns so that load from other processes falls on both; writes a table and a figure into the output folder.
/// </summary>
internal static class FashionMnistBenchmark
{
    public static int Run(SampleArguments arguments, TrainingParams trainingParams, TextWriter output)
    {
        int epochs = arguments.MaxEpochs ?? trainingParams.MaxEpochs;
        double lr = trainingParams.InitialLr, decay = trainingParams.EmaParams.Decay;
        Directory.CreateDirectory(arguments.OutputDirectory);
        using FashionMnistData data = FashionMnistData.Load(arguments.DataDirectory, arguments.TrainSubset, arguments.TestSubset);
        string? noTorch = PyTorchScript.Unavailable();
        output.WriteLine($"Fashion-MNIST benchmark: {arguments.Seeds} seeds x {epochs} epochs, {data.TrainCount} training images, batch {TrainingApp.FashionBatchSize}, SGD lr {lr.ToString(CultureInfo.InvariantCulture)} momentum 0.9, decay {decay.ToString(CultureInfo.InvariantCulture)}; PyTorch: {noTorch ?? "side by side"}");
        var wall = Stopwatch.StartNew();
        var ema = new List<SeedResult>();
        var peer = new List<PeerSeedResult>();
        for (int seed = 1; seed <= arguments.Seeds; seed++)
        {
            string directory = Path.Combine(arguments.OutputDirectory, $"seed{seed}");
            ema.Add(BenchmarkSeedRun.Run(data, seed, epochs, lr, decay, directory, output));
            if (noTorch is null)
            {
                peer.Add(RunPeer(arguments, directory, seed, epochs, lr, decay));
                output.WriteLine($"seed {seed} PyTorch {peer[^1].Torch}: " + string.Join(", ", peer[^1].Accuracy.Select(a => FormattableString.Invariant($"{a.Key} {a.Value[^1]:F4}"))));
            }
        }

        var report = new BenchmarkReport(ema, peer, noTorch, PeakResidentBytes(), wall.Elapsed,
            $"{arguments.Seeds} seeds x {epochs} epochs, {data.TrainCount} training and {data.TestImages.shape[0]} test images");
        string table = Path.Combine(arguments.OutputDirectory, "fashion_mnist_benchmark.md");
        File.WriteAllText(table, report.Markdown());
        string figure = Path.Combine(arguments.OutputDirectory, "fashion_mnist_benchmark.png");
        report.Figure(figure);
        output.WriteLine(report.Markdown());
        output.WriteLine($"table: {table}");
        output.WriteLine($"figure: {figure}");
        return 0;
    }

    private static PeerSeedResult RunPeer(SampleArguments arguments, string directory, int seed, int epochs, double lr, double decay)
    {
        var args = new List<string>
        {
            "train", "--data-dir", arguments.DataDirectory, "--init", Path.Combine(directory, "init.pth"), "--order", Path.Combine(directory, "order.txt"),
            "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--lr", lr.ToString(CultureInfo.InvariantCulture),
            "--batch", TrainingApp.FashionBatchSize.ToString(CultureInfo.InvariantCulture), "--decay", decay.ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture),
        };
        if (arguments.TrainSubset is { } subset)
        {
            args.AddRange(["--train-subset", subset.ToString(CultureInfo.InvariantCulture)]);
        }

        if (arguments.TestSubset is { } testSubset)
        {
            args.AddRange(["--test-subset", testSubset.ToString(CultureInfo.InvariantCulture)]);
        }

        using JsonDocument json = PyTorchScript.Run([.. args]);
        JsonElement root = json.RootElement;
        var accuracy = new Dictionary<string, List<double>>();
        foreach (JsonElement epoch in root.GetProperty("epochs").EnumerateArray())
        {
            foreach (JsonProperty form in epoch.EnumerateObject())
            {
                (accuracy.TryGetValue(form.Name, out var list) ? list : accuracy[form.Name] = []).Add(form.Value.GetDouble());
            }
        }

        return new PeerSeedResult(root.GetProperty("torch").GetString()!, accuracy,
            root.GetProperty("seconds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()));
    }

    /// <summary>The process's peak resident set (VmHWM), or null off Linux.</summary>
    private static long? PeakResidentBytes()
    {
        const string status = "/proc/self/status";
        string? line = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
