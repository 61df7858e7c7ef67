using System.Text.RegularExpressions;
using Ema.Samples.Training;
using Spectre.Console;

namespace Ema.Samples.Tests;

/// <summary>The README's main job, run in-process for one short epoch into a temporary folder.</summary>
[Collection(SamplesCollection.Name)]
public sealed partial class TrainingSampleSmokeTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "ema-sample-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void One_short_epoch_writes_checkpoints_and_figures_and_prints_the_EMA_metric()
    {
        var console = new StringWriter();

        int exitCode = TrainingApp.Run(["--max-epochs", "1", "--train-size", "640", "--out", _output], console, interactive: false);

        string printed = console.ToString();
        Assert.True(exitCode == 0, printed);
        Assert.Matches(EpochLine(), printed);
        Assert.Contains($"output folder: {_output}", printed);
        foreach (string checkpoint in new[] { "ckpt_latest.safetensors", "ckpt_best.safetensors" })
        {
            CheckpointInfo info = Checkpoint.ReadInfo(Path.Combine(_output, checkpoint));
            Assert.True(info.HasEma, checkpoint);
            Assert.Equal(1, info.Epoch);
        }

        Assert.Matches(@"post-hoc EMA: best sigma_rel [0-9.]+ \(validation accuracy [0-9.]+\); tracked 0\.05: [0-9.]+, 0\.1: [0-9.]+", printed);
        Assert.Equal(2 * 10, Directory.GetFiles(Path.Combine(_output, "posthoc"), "posthoc-*.safetensors").Length); // 10 steps, a snapshot each
        foreach (string figure in new[] { "validation_accuracy.png", "ema_decay_schedules.png", "ema_length_sweep.png" })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(_output, figure));
            Assert.True(bytes.Length > 10_000, $"{figure} is {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }

    [Fact]
    public void The_terminal_path_draws_a_progress_bar_and_prints_the_EMA_metric_and_the_output_folder()
    {
        // A console that Spectre takes for an ANSI terminal, so the live progress renderer runs, as in a real
        // terminal. Default enrichers off: under CI=true they would turn interactivity off and pick the fallback.
        var writer = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
            Out = new AnsiConsoleOutput(TextWriter.Synchronized(writer)), // the renderer refreshes from its own thread
        });
        console.Profile.Width = 200; // the epoch line is 80 characters: no wrapping at the default width

        int exitCode = TrainingApp.Run(["--max-epochs", "1", "--train-size", "640", "--out", _output], console);

        string printed = AnsiEscape().Replace(writer.ToString(), string.Empty);
        Assert.True(exitCode == 0, printed);
        Assert.Matches(EpochLine(), printed);
        Assert.Contains("epoch 1/1  done", printed); // the progress bar's final description
        Assert.DoesNotContain("step 1/", printed); // the plain progress lines are for redirected output only
        Assert.Contains($"output folder: {_output}", printed);
        Assert.True(File.Exists(Path.Combine(_output, "ckpt_latest.safetensors")));
    }

    [Fact]
    public void A_bad_option_value_is_an_error_naming_the_option_and_what_is_allowed()
    {
        var console = new StringWriter();

        int exitCode = TrainingApp.Run(["--device", "tpu", "--out", _output], console, interactive: false);

        Assert.Equal(2, exitCode);
        Assert.Contains("--device tpu: allowed values are cpu and cuda", console.ToString());
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public void A_bad_config_is_an_error_naming_the_file_and_the_key()
    {
        Directory.CreateDirectory(_output);
        string config = Path.Combine(_output, "bad.json");
        File.WriteAllText(config, """{"max_epochs": 2, "ema": true, "ema_params": {"decay": 1.2}}""");
        var console = new StringWriter();

        int exitCode = TrainingApp.Run([config, "--out", _output], console, interactive: false);

        Assert.Equal(2, exitCode);
        string printed = console.ToString();
        Assert.Contains("bad.json", printed);
        Assert.Contains("decay", printed);
        Assert.Contains("1.2", printed);
        Assert.False(File.Exists(Path.Combine(_output, "ckpt_latest.safetensors")));
    }

    [Fact]
    public void Asking_for_cuda_where_there_is_none_says_so()
    {
        if (TorchSharp.torch.cuda.is_available())
        {
            return; // a GPU machine: nothing to check here
        }

        var console = new StringWriter();

        int exitCode = TrainingApp.Run(["--device", "cuda", "--max-epochs", "1", "--out", _output], console, interactive: false);

        Assert.Equal(3, exitCode);
        string printed = console.ToString();
        Assert.Contains("no CUDA device", printed);
        // The message names this build's package (the csproj default) and the command that builds a CUDA one.
        Assert.Contains("this build references TorchSharp-cpu", printed);
        Assert.Contains("-p:EmaTorchSharpPackage=TorchSharp-cuda-linux -- --device cuda", printed);
        Assert.False(Directory.Exists(_output));
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [GeneratedRegex(@"epoch 1/1 .*validation accuracy: raw 0\.\d{4}  EMA 0\.\d{4}")]
    private static partial Regex EpochLine();

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex AnsiEscape();
}
