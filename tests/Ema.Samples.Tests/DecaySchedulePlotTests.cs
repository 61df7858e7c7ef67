using Ema.Samples.Training;
using ScottPlot;
using ScottPlot.Plottables;

namespace Ema.Samples.Tests;

/// <summary>The schedules figure: three lines that end on one value must all stay visible.</summary>
public sealed class DecaySchedulePlotTests
{
    [Fact]
    public void The_three_schedules_are_distinguishable_with_the_constant_dashed_on_top()
    {
        Plot plot = Plots.DecaySchedulePlot();

        Scatter[] lines = plot.GetPlottables().OfType<Scatter>().ToArray();
        Assert.Equal(["threshold", "exp (beta=15)", "constant"], lines.Select(l => l.LegendText));
        Assert.Equal(3, lines.Select(l => l.Color).Distinct().Count());
        // Drawn last, so on top of threshold, which reaches the same value; thinner than the lines below it.
        Scatter constant = lines[^1];
        Assert.Equal(LinePattern.Dashed, constant.LinePattern);
        Assert.True(constant.LineWidth < lines[0].LineWidth && lines[1].LineWidth < lines[0].LineWidth);
        Assert.True(plot.Legend.IsVisible);
        Assert.Equal("Training step", plot.Axes.Bottom.Label.Text);
        Assert.Equal("Decay value", plot.Axes.Left.Label.Text);
    }

    [Fact]
    public void The_figure_shows_max_decay_0_999_over_600000_steps()
    {
        Scatter[] lines = Plots.DecaySchedulePlot().GetPlottables().OfType<Scatter>().ToArray();

        foreach (Scatter line in lines)
        {
            IReadOnlyList<Coordinates> points = line.Data.GetScatterPoints();
            Assert.Equal(600_000, points[^1].X);
            Assert.Equal(0.999, points[^1].Y, 1e-6);
            Assert.All(points, p => Assert.InRange(p.Y, 0, 0.999));
        }

        Assert.All(lines[^1].Data.GetScatterPoints(), p => Assert.Equal(0.999, p.Y)); // constant
        Assert.Equal(0.1, lines[0].Data.GetScatterPoints()[0].Y, 1e-12); // threshold: (1 + 0) / (10 + 0)
        Assert.Equal(0, lines[1].Data.GetScatterPoints()[0].Y); // exp starts at 0
    }
}
