using System.Globalization;
using System.Text.RegularExpressions;
using Ema.Samples.Training;

namespace Ema.Samples.Tests;

/// <summary>The training sample's <c>--self-distill</c> comparison, run in-process for one short epoch.</summary>
[Collection(SamplesCollection.Name)]
public sealed partial class SelfDistillationSampleTests
{
    [Fact]
    public void The_comparison_trains_both_ways_and_prints_accuracies_and_their_difference()
    {
        var console = new StringWriter();

        int exitCode = TrainingApp.Run(["--self-distill", "--max-epochs", "1", "--train-size", "640"], console, interactive: false);

        string printed = console.ToString();
        Assert.True(exitCode == 0, printed);
        double[] plain = Accuracies(PlainLine().Match(printed));
        double[] selfDistilled = Accuracies(SelfLine().Match(printed));
        Match difference = DifferenceLine().Match(printed);
        Assert.True(difference.Success, printed);
        // The printed accuracies are rounded to 4 places, the difference is of the unrounded ones: 1.5e-4 apart at most (three roundings).
        Assert.InRange(double.Parse(difference.Groups[1].Value, CultureInfo.InvariantCulture) - (selfDistilled[0] - plain[0]), -1.5001e-4, 1.5001e-4);
        Assert.InRange(double.Parse(difference.Groups[2].Value, CultureInfo.InvariantCulture) - (selfDistilled[1] - plain[1]), -1.5001e-4, 1.5001e-4);
        Assert.All(plain.Concat(selfDistilled), a => Assert.InRange(a, 1.0 / 3 - 0.2, 1.0)); // accuracies of a 3-class task
    }

    private static double[] Accuracies(Match match)
    {
        Assert.True(match.Success);
        return [double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)];
    }

    [GeneratedRegex(@"^plain\s+final validation accuracy: student ([0-9.]+), EMA ([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex PlainLine();

    [GeneratedRegex(@"^self-distilled \(ema_teacher\)\s+final validation accuracy: student ([0-9.]+), EMA ([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex SelfLine();

    [GeneratedRegex(@"self-distillation minus plain: student ([-+][0-9.]+), EMA ([-+][0-9.]+)")]
    private static partial Regex DifferenceLine();
}
