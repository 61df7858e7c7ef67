using System.Globalization;
using System.Text.RegularExpressions;
using Ema.Samples.KnowledgeDistillation;

namespace Ema.Samples.Tests;

/// <summary>The knowledge distillation sample, run in-process on a few epochs.</summary>
[Collection(SamplesCollection.Name)]
public sealed partial class DistillationSampleSmokeTests : IDisposable
{
    private readonly List<string> _folders = [Path.Combine(Path.GetTempPath(), "ema-kd-test-" + Guid.NewGuid().ToString("N"))];

    [Fact]
    public void A_short_run_keeps_the_teacher_and_checkpoints_and_deploys_the_student_EMA()
    {
        var console = new StringWriter();

        int exitCode = DistillationApp.Run(["--out", _folders[0], "--epochs", "3", "--teacher-epochs", "5"], console);

        string printed = console.ToString();
        Assert.True(exitCode == 0, printed);
        Assert.Contains($"checkpoints: {_folders[0]}", printed);
        Assert.Contains("teacher bit-identical after training: True", printed);
        Assert.Contains("student loaded for inference from 'ema_net'", printed);
        Match last = EpochLine().Match(printed);
        Assert.True(last.Success, printed);
        Assert.Equal("3", last.Groups["epoch"].Value);
        // sin(3x) has variance 0.5 on [-2, 2]: an EMA metric well below it means the student's EMA learned the task.
        Assert.InRange(double.Parse(last.Groups["ema"].Value, CultureInfo.InvariantCulture), 0, 0.2);
        CheckpointInfo info = Checkpoint.ReadInfo(Path.Combine(_folders[0], Checkpoint.LatestFileName));
        Assert.True(info.HasEma);
        Assert.Equal(3, info.Epoch);
    }

    [Fact]
    public void Without_out_each_run_writes_into_a_new_folder_under_the_temporary_directory_and_names_it()
    {
        string[] folders = new string[2];
        for (int run = 0; run < 2; run++)
        {
            var console = new StringWriter();
            Assert.Equal(0, DistillationApp.Run(["--epochs", "1", "--teacher-epochs", "1"], console));
            folders[run] = Regex.Match(console.ToString(), "^checkpoints: (.+)$", RegexOptions.Multiline).Groups[1].Value.TrimEnd('\r');
            _folders.Add(folders[run]);
        }

        Assert.NotEqual(folders[0], folders[1]);
        Assert.All(folders, folder =>
        {
            Assert.StartsWith(Path.GetTempPath(), folder);
            Assert.True(File.Exists(Path.Combine(folder, Checkpoint.LatestFileName)), folder);
        });
    }

    [Fact]
    public void A_bad_option_is_an_error_with_the_usage()
    {
        var console = new StringWriter();

        Assert.Equal(2, DistillationApp.Run(["--epochs", "0"], console));
        Assert.Contains("--epochs 0: expected a positive whole number", console.ToString());
    }

    public void Dispose()
    {
        foreach (string folder in _folders.Where(f => f.Length > 0 && Directory.Exists(f)))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"epoch +(?<epoch>\d+)  student validation MSE: raw \d\.\d{4}  EMA (?<ema>\d\.\d{4})")]
    private static partial Regex EpochLine();
}
