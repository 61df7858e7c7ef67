using ScottPlot;

namespace Ema.Samples.Training;

/// <summary>The PNG figures the sample writes.</summary>
internal static class Plots
{
    /// <summary>The raw and EMA validation curves, one point per epoch.</summary>
    public static void ValidationCurves(string path, string metricName, IReadOnlyList<double> raw, IReadOnlyList<double> ema)
    {
        var plot = new Plot();
        double[] epochs = Enumerable.Range(1, raw.Count).Select(e => (double)e).ToArray();
        AddLine(plot, epochs, raw.ToArray(), "raw weights");
        AddLine(plot, epochs, ema.ToArray(), "EMA weights");
        plot.Title($"Validation {metricName}: raw and EMA weights");
        plot.XLabel("Epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.YLabel($"Validation {metricName}");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>
    /// SuperGradients' figure of the decay schedules: constant, threshold, and exp with beta 15, all with maximum
    /// decay 0.999, over 600,000 steps; computed by the registered schedules themselves.
    /// </summary>
    public static void DecayScheduleFigure(string path)
    {
        const long totalSteps = 600_000;
        // Dense near the start, where threshold climbs within the first 10,000 steps.
        double[] steps = Enumerable.Range(0, 200).Select(i => i * 100.0)
            .Concat(Enumerable.Range(20, 581).Select(i => i * 1000.0)).ToArray();
        var plot = new Plot();
        foreach (EmaParams parameters in new EmaParams[] { new ConstantEmaParams(0.999), new ThresholdEmaParams(0.999), new ExpEmaParams(0.999, beta: 15) })
        {
            IDecayFunction schedule = Ema.DecaySchedules.Create(parameters);
            double[] decay = steps.Select(s => schedule.Compute(parameters.Decay, (long)s, totalSteps)).ToArray();
            string label = parameters is ExpEmaParams exp ? $"exp (beta={exp.Beta:G})" : parameters.DecayType;
            var line = AddLine(plot, steps, decay, label);
            if (parameters is ConstantEmaParams)
            {
                line.LinePattern = LinePattern.Dashed; // threshold reaches the same value: keep both visible
            }
        }

        plot.Title("EMA decay schedules (decay = 0.999)");
        plot.XLabel("Training step");
        plot.YLabel("Decay value");
        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

    private static ScottPlot.Plottables.Scatter AddLine(Plot plot, double[] xs, double[] ys, string label)
    {
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = label;
        line.MarkerSize = xs.Length > 50 ? 0 : 5;
        line.LineWidth = 2;
        return line;
    }
}
