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
    /// <remarks>A second panel shows the warmup, tau and power schedules over their first 20,000 steps.</remarks>
    public static void DecayScheduleFigure(string path)
    {
        var figure = new Multiplot();
        figure.Reset(DecaySchedulePlot()); // a new Multiplot holds one empty plot: replace it
        figure.AddPlot(FormsSchedulePlot());
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        figure.SavePng(path, 1700, 540);
    }

    /// <summary>
    /// The second panel: warmup (timm/diffusers defaults), tau (Ultralytics, tau = 2000), power (EDM2, sigma_rel
    /// 0.05 and 0.10, which <c>decay</c> does not cap), swa (PyTorch's running mean), bema (the decay of BEMA's
    /// average, default keys) and half_life (torchtitan, 0.05), decay 0.999, over the first 20,000 steps where they differ.
    /// </summary>
    internal static Plot FormsSchedulePlot()
    {
        const long totalSteps = 600_000;
        const double maxDecay = 0.999;
        double[] steps = Enumerable.Range(1, 400).Select(i => i * 50.0).ToArray();
        var plot = new Plot();
        (EmaParams Params, string Label, Color Color, LinePattern Pattern)[] series =
        [
            (new WarmupEmaParams(maxDecay), "warmup (power=2/3)", Colors.Crimson, LinePattern.Solid),
            (new TauEmaParams(maxDecay, tau: 2000), "tau (tau=2000)", Colors.Teal, LinePattern.Solid),
            (new PowerEmaParams(maxDecay, sigmaRel: 0.05), "power (sigma_rel=0.05, not capped)", Colors.Purple, LinePattern.Solid),
            (new PowerEmaParams(maxDecay, sigmaRel: 0.10), "power (sigma_rel=0.10, not capped)", Colors.Purple, LinePattern.Dashed),
            (new SwaEmaParams(maxDecay), "swa (running mean, not capped)", Colors.DarkOrange, LinePattern.Dotted),
            (new BemaEmaParams(maxDecay), "bema (average's decay, not capped)", Colors.SeaGreen, LinePattern.Dashed),
            (new HalfLifeEmaParams(maxDecay, halfLife: 0.05), "half_life (0.05)", Colors.SteelBlue, LinePattern.Dotted),
        ];
        foreach (var (parameters, label, color, pattern) in series)
        {
            var line = AddSchedule(plot, steps, totalSteps, parameters, label);
            line.Color = color;
            line.LinePattern = pattern;
        }

        return LabelDecayPanel(plot, $"warmup, tau, power, swa, bema, half_life (decay = {maxDecay})", 0.8, 1.005);
    }

    /// <summary>
    /// Validation accuracy of the EMAs synthesized after training against their sigma_rel, the way EDM2 plots quality
    /// against EMA length; the tracked profiles are marked, and the trainer's EMA is a horizontal line.
    /// </summary>
    public static void EmaLengthFigure(string path, IReadOnlyList<(double SigmaRel, double Accuracy)> synthesized,
        IReadOnlyList<(double SigmaRel, double Accuracy)> tracked, double trainerEma)
    {
        var plot = new Plot();
        AddLine(plot, synthesized.Select(p => p.SigmaRel).ToArray(), synthesized.Select(p => p.Accuracy).ToArray(), "synthesized post hoc");
        var marks = plot.Add.Scatter(tracked.Select(p => p.SigmaRel).ToArray(), tracked.Select(p => p.Accuracy).ToArray());
        marks.LegendText = "tracked during training";
        marks.LineWidth = 0;
        marks.MarkerSize = 12;
        marks.MarkerShape = MarkerShape.OpenCircle;
        var line = plot.Add.HorizontalLine(trainerEma);
        line.LegendText = "trainer's EMA (config)";
        line.LinePattern = LinePattern.Dashed;
        plot.Title("Validation accuracy against EMA length (post-hoc EMA)");
        plot.XLabel("sigma_rel");
        plot.YLabel("Validation accuracy");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

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
            var line = AddSchedule(plot, steps, totalSteps, parameters, label);
            line.Color = color;
            line.LineWidth = width;
            line.LinePattern = pattern;
        }

        return LabelDecayPanel(plot, $"EMA decay schedules (decay = {maxDecay})", 0, 1.05);
    }

    /// <summary>The labels, decay range and legend both decay panels share.</summary>
    private static Plot LabelDecayPanel(Plot plot, string title, double minDecay, double maxDecay)
    {
        plot.Title(title);
        plot.XLabel("Training step");
        plot.YLabel("Decay value");
        plot.Axes.SetLimitsY(minDecay, maxDecay);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>One schedule's decay at each step, computed by the registered schedule itself.</summary>
    private static ScottPlot.Plottables.Scatter AddSchedule(Plot plot, double[] steps, long totalSteps, EmaParams parameters, string label)
    {
        IDecayFunction schedule = Ema.DecaySchedules.Create(parameters);
        double[] decay = steps.Select(s => schedule.Compute(parameters.Decay, (long)s, totalSteps)).ToArray();
        return AddLine(plot, steps, decay, label);
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
