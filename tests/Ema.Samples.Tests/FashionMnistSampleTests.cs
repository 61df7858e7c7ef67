using System.Globalization;
using System.Text.RegularExpressions;
using Ema.Samples.Training;

namespace Ema.Samples.Tests;

/// <summary>The main job on Fashion-MNIST (<c>--data fashion-mnist</c>): a correctness smoke on a small subset, and the message when the data is absent.</summary>
[Collection(SamplesCollection.Name)]
public sealed partial class FashionMnistSampleTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "ema-fmnist-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Without_the_data_the_job_stops_with_exit_code_3_and_the_apt_command()
    {
        string empty = Directory.CreateTempSubdirectory("ema-no-fmnist-").FullName;
        try
        {
            var console = new StringWriter();

            int exitCode = TrainingApp.Run(["--data", "fashion-mnist", "--data-dir", empty, "--out", _output], console, interactive: false);

            Assert.Equal(3, exitCode);
            string printed = console.ToString();
            Assert.Contains($"Fashion-MNIST is not installed: {Path.Combine(empty, "train-images-idx3-ubyte.gz")} not found", printed);
            Assert.Contains("sudo apt-get install dataset-fashion-mnist", printed);
            Assert.False(Directory.Exists(_output));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Fashion_mnist_options_without_the_data_set_are_an_error_naming_the_option()
    {
        var console = new StringWriter();

        int exitCode = TrainingApp.Run(["--train-subset", "100", "--out", _output], console, interactive: false);

        Assert.Equal(2, exitCode);
        Assert.Contains("--train-subset needs --data fashion-mnist", console.ToString());
    }

    [FashionMnistFact]
    public void One_epoch_on_a_subset_trains_far_above_chance_and_reports_raw_and_EMA()
    {
        string config = WriteConfig(decay: 0.9);
        var console = new StringWriter();

        int exitCode = TrainingApp.Run([config, "--data", "fashion-mnist", "--train-subset", "4000", "--test-subset", "1000", "--epochs", "1", "--out", _output], console, interactive: false);

        string printed = console.ToString();
        Assert.True(exitCode == 0, printed);
        Assert.Contains("4000 training images, 1000 test images", printed);
        (double raw, double ema) = FinalAccuracies(printed);
        Assert.True(raw > 0.6, $"raw test accuracy {raw} (chance is 0.1): {printed}");
        Assert.True(ema > 0.6, $"EMA test accuracy {ema} (chance is 0.1): {printed}");
        Assert.True(Checkpoint.ReadInfo(Path.Combine(_output, "ckpt_best.pth")).HasEma);
    }

    [FashionMnistFact]
    public void The_benchmark_run_twice_into_one_folder_starts_a_fresh_post_hoc_run_each_time()
    {
        string[] args = ["--data", "fashion-mnist", "--benchmark", "--seeds", "1", "--epochs", "1", "--train-subset", "512", "--test-subset", "256", "--out", _output];
        string snapshots = Path.Combine(_output, "seed1", "posthoc");

        var first = new StringWriter();
        Assert.True(TrainingApp.Run(args, first, interactive: false) == 0, first.ToString());
        string[] firstRun = Directory.GetFiles(snapshots, "posthoc-*.safetensors");
        var second = new StringWriter();
        int exitCode = TrainingApp.Run(args, second, interactive: false);

        // PostHocEma refuses to start a run beside another run's snapshots; the benchmark owns its seed folders.
        Assert.True(exitCode == 0, second.ToString());
        string[] secondRun = Directory.GetFiles(snapshots, "posthoc-*.safetensors");
        Assert.Equal(firstRun.Length, secondRun.Length);
        Assert.Contains("Post-hoc EMA (synthesized after training", File.ReadAllText(Path.Combine(_output, "fashion_mnist_benchmark.md")), StringComparison.Ordinal);
    }

    /// <summary>A config for a short run: the shipped default's decay (0.99) would leave a 31-step EMA near the initial weights.</summary>
    internal string WriteConfig(double decay)
    {
        Directory.CreateDirectory(_output);
        string path = Path.Combine(_output, "short.json");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture,
            $$"""{"max_epochs": 1, "initial_lr": 0.05, "ema": true, "ema_params": {"decay": {{decay}}, "decay_type": "exp", "beta": 15}, "checkpoint_format": "pth"}"""));
        return path;
    }

    /// <summary>The raw and EMA test accuracies of the job's closing line.</summary>
    internal static (double Raw, double Ema) FinalAccuracies(string printed)
    {
        Match line = FinalLine().Match(printed);
        Assert.True(line.Success, printed);
        return (double.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [GeneratedRegex(@"final validation accuracy: raw (0\.\d{4}), EMA (0\.\d{4})")]
    private static partial Regex FinalLine();
}
