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

    [Fact]
    public void The_second_panel_draws_warmup_tau_power_swa_bema_and_half_life_from_the_registered_schedules()
    {
        Scatter[] lines = Plots.FormsSchedulePlot().GetPlottables().OfType<Scatter>().ToArray();

        Assert.Equal(["warmup (power=2/3)", "tau (tau=2000)", "power (sigma_rel=0.05, not capped)", "power (sigma_rel=0.10, not capped)",
            "swa (running mean, not capped)", "bema (average's decay, not capped)", "half_life (0.05)"], lines.Select(l => l.LegendText));
        Coordinates[] last = lines.Select(l => l.Data.GetScatterPoints()[^1]).ToArray();
        Assert.All(last, p => Assert.Equal(20_000, p.X));
        Assert.Equal(Math.Max(Math.Min(1 - Math.Pow(20_000, -2.0 / 3), 0.999), 0), last[0].Y, 1e-12); // e = 20,000 - 1
        Assert.Equal(0.999 * (1 - Math.Exp(-10.0)), last[1].Y, 1e-12);
        // power is not capped by decay = 0.999: sigma_rel 0.10 passes it.
        Assert.True(last[3].Y > 0.999 && last[3].Y > last[2].Y, $"{last[2].Y} {last[3].Y}");
        Assert.Equal(19_999.0 / 20_000, last[4].Y, 1e-12); // swa: (n - 1) / n
        Assert.Equal(1 - Math.Pow(10 + 20_000, -0.5), last[5].Y, 1e-12); // bema: 1 - (lag + t)^-ema_power
        Assert.Equal(Math.Min(0.999, Math.Pow(2, -1 / (0.05 * 20_000))), last[6].Y, 1e-12); // half_life
    }
}
