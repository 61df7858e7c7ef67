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
    public static void DecayScheduleFigure(string path) => DecaySchedulePlot().SavePng(path, 900, 540);

    /// <summary>
    /// The schedules figure before it is saved. All three lines end at 0.999 and threshold reaches it within the
    /// first 9,000 steps, so they lie on one another: drawn in this order (later on top), threshold is a wide band,
    /// exp a narrower line over it, and constant a thin dashed line on top, so each stays visible.
    /// </summary>
    internal static Plot DecaySchedulePlot()
    {
        const long totalSteps = 600_000;
        const double maxDecay = 0.999;
        // Dense near the start, where threshold climbs within the first 10,000 steps.
        double[] steps = Enumerable.Range(0, 200).Select(i => i * 100.0)
            .Concat(Enumerable.Range(20, 581).Select(i => i * 1000.0)).ToArray();
        var plot = new Plot();
        (EmaParams Params, string Label, Color Color, float Width, LinePattern Pattern)[] series =
        [
            (new ThresholdEmaParams(maxDecay), "threshold", Colors.DarkOrange, 7, LinePattern.Solid),
            (new ExpEmaParams(maxDecay, beta: 15), "exp (beta=15)", Colors.ForestGreen, 3, LinePattern.Solid),
            (new ConstantEmaParams(maxDecay), "constant", Colors.Navy, 2, LinePattern.Dashed),
        ];
        foreach (var (parameters, label, color, width, pattern) in series)
        {
            IDecayFunction schedule = Ema.DecaySchedules.Create(parameters);
            double[] decay = steps.Select(s => schedule.Compute(parameters.Decay, (long)s, totalSteps)).ToArray();
            var line = AddLine(plot, steps, decay, label);
            line.Color = color;
            line.LineWidth = width;
            line.LinePattern = pattern;
        }

        plot.Title($"EMA decay schedules (decay = {maxDecay})");
        plot.XLabel("Training step");
        plot.YLabel("Decay value");
        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
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
