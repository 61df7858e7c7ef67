using System.Globalization;
using System.Text.RegularExpressions;
using Ema.Samples.CustomSchedule;

namespace Ema.Samples.Tests;

/// <summary>The custom schedule sample, run in-process: the linear schedule drives a ModelEma both ways.</summary>
[Collection(SamplesCollection.Name)]
public sealed partial class CustomScheduleSampleSmokeTests
{
    [Fact]
    public void The_ModelEma_from_the_typed_record_and_from_JSON_use_decay_times_step_over_total()
    {
        var console = new StringWriter();

        int exitCode = CustomScheduleApp.Run(console, trainingSteps: 8);

        string printed = console.ToString();
        Assert.True(exitCode == 0, printed);
        Assert.Contains("From JSON: LinearEmaParams", printed);
        Assert.Matches(@"Registered schedules: .*\blinear\b", printed);
        // The sample's two sections, in order: the typed record (decay 0.9999), then JSON (decay 0.999).
        string[] sections = printed.Split("ModelEma from ");
        Assert.Equal(3, sections.Length);
        Assert.StartsWith("the typed record (LinearEmaParams", sections[1]);
        Assert.StartsWith("JSON (LinearEmaParams", sections[2]);
        foreach ((string section, double decay) in new[] { (sections[1], 0.9999), (sections[2], 0.999) })
        {
            MatchCollection steps = StepLine().Matches(section);
            Assert.Equal([2, 4, 6, 8], steps.Select(m => int.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture)));
            foreach (Match step in steps)
            {
                double printedDecay = double.Parse(step.Groups["decay"].Value, CultureInfo.InvariantCulture);
                double expected = decay * int.Parse(step.Groups["step"].Value, CultureInfo.InvariantCulture) / 8;
                Assert.Equal(expected, printedDecay, 5e-7); // printed with 6 decimals
            }

            Assert.Contains("the model now holds the EMA weights", section);
        }
    }

    [GeneratedRegex(@"step +(?<step>\d+)/8  decay (?<decay>\d\.\d{6})")]
    private static partial Regex StepLine();
}
