using System.Globalization;
using System.Text;
using ScottPlot;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>The Fashion-MNIST benchmark's table (markdown) and figure: means and min-max over the seeds.</summary>
internal sealed class BenchmarkReport(List<SeedResult> ema, List<PeerSeedResult> peer, string? peerSkipped, long? peakResidentBytes, TimeSpan wall, string setup)
{
    private static readonly string[] EmaForms = ["raw", .. BenchmarkSeedRun.Schedules, "power 0.05", "power 0.10"];

    public string Markdown()
    {
        var md = new StringBuilder();
        int epochs = ema[0].Accuracy["raw"].Count;
        md.AppendLine(Invariant($"Fashion-MNIST, {setup}; {wall.TotalMinutes:F1} min in all. Test accuracy (%), mean and min-max over the seeds:"));
        md.AppendLine();
        md.AppendLine("| weights | " + string.Join(" | ", Enumerable.Range(1, epochs).Select(e => $"epoch {e}")) + " | last epoch - raw |");
        md.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: |", epochs + 1)));
        List<double> RawAt(int e) => ema.Select(s => s.Accuracy["raw"][e]).ToList();
        foreach (string form in EmaForms)
        {
            var cells = Enumerable.Range(0, epochs).Select(e => Cell(ema.Select(s => s.Accuracy[form][e]).ToList()));
            string gain = form == "raw" ? "" : Gain(ema.Select(s => s.Accuracy[form][^1]).ToList(), RawAt(epochs - 1));
            md.AppendLine($"| {(form == "raw" ? "raw (no EMA)" : form)} | {string.Join(" | ", cells)} | {gain} |");
        }

        var best = ema.Select(s => s.PostHoc.Where(p => !double.IsNaN(p.Accuracy)).MaxBy(p => p.Accuracy)).ToList();
        md.AppendLine(Invariant($"| post-hoc, best sigma_rel per seed ({string.Join(", ", best.Select(b => b.SigmaRel))}) | {string.Concat(Enumerable.Repeat("| ", epochs - 1))}{Cell(best.Select(b => b.Accuracy).ToList())} | {Gain(best.Select(b => b.Accuracy).ToList(), RawAt(epochs - 1))} |"));
        md.AppendLine();
        md.AppendLine("Post-hoc EMA (synthesized after training from the power EMAs' snapshots), test accuracy (%) by sigma_rel: " +
            string.Join(", ", ema[0].PostHoc.Select((p, i) => Invariant($"{p.SigmaRel}: {SweepCell(ema.Select(s => s.PostHoc[i].Accuracy).ToList())}"))) + ".");
        md.AppendLine();

        md.AppendLine("Cost: each EMA's update time as a share of the training step (forward, backward, SGD step), summed over the run, mean and min-max over the seeds:");
        md.AppendLine();
        md.AppendLine("| framework | form | update / step |");
        md.AppendLine("| --- | --- | ---: |");
        foreach (string form in BenchmarkSeedRun.Schedules.Append("post-hoc"))
        {
            string label = form == "post-hoc" ? "PostHocEma (two power EMAs + snapshots)" : $"ModelEma ({form})";
            md.AppendLine($"| Ema | {label} | {Share(ema.Select(s => s.UpdateSeconds[form] / s.StepSeconds).ToList())} |");
        }

        foreach ((string key, string label) in new[] { ("averaged_model", "AveragedModel, EMA avg_fn, use_buffers"), ("foreach", "_foreach mul_/add_ (timm ModelEmaV3)") })
        {
            if (peer.Count > 0)
            {
                md.AppendLine($"| PyTorch {peer[0].Torch} | {label} | {Share(peer.Select(p => p.Seconds[key] / p.Seconds["step"]).ToList())} |");
            }
        }

        md.AppendLine();
        md.AppendLine(Invariant($"Memory: the model's parameters and buffers {ema[0].ModelBytes / 1024.0:F0} KiB; one EMA {ema[0].EmaBytes / 1024.0:F0} KiB (a copy of them); this run kept 5 EMAs ({5 * ema[0].EmaBytes / 1048576.0:F1} MiB) against a process peak resident set of {(peakResidentBytes is { } peak ? (peak / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB" : "n/a")} (data, libtorch, activations): without the EMAs the peak would be lower by at most that."));
        md.AppendLine();
        if (peer.Count == 0)
        {
            md.AppendLine($"PyTorch side by side: not run ({peerSkipped}).");
            return md.ToString();
        }

        md.AppendLine("Side by side, last epoch, test accuracy (%), same initial weights, data order and hyper-parameters, EMA with the exp schedule in both:");
        md.AppendLine();
        md.AppendLine("| framework | raw | EMA | EMA - raw |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        List<double> emaRaw = RawAt(epochs - 1), emaExp = ema.Select(s => s.Accuracy["exp"][^1]).ToList();
        md.AppendLine($"| Ema (TorchSharp) | {Cell(emaRaw)} | {Cell(emaExp)} (ModelEma) | {Gain(emaExp, emaRaw)} |");
        List<double> torchRaw = peer.Select(p => p.Accuracy["raw"][^1]).ToList();
        foreach ((string key, string label) in new[] { ("averaged_model", "AveragedModel"), ("foreach", "_foreach") })
        {
            List<double> torchEma = peer.Select(p => p.Accuracy[key][^1]).ToList();
            md.AppendLine($"| PyTorch {peer[0].Torch} | {Cell(torchRaw)} | {Cell(torchEma)} ({label}) | {Gain(torchEma, torchRaw)} |");
        }

        return md.ToString();
    }

    /// <summary>Test accuracy per epoch, mean over the seeds with min-max error bars, for Ema's forms and PyTorch's.</summary>
    public void Figure(string path)
    {
        var plot = new Plot();
        int epochs = ema[0].Accuracy["raw"].Count;
        double[] xs = Enumerable.Range(1, epochs).Select(e => (double)e).ToArray();
        var series = EmaForms.Select(f => ($"Ema {f}", ema.Select(s => s.Accuracy[f]).ToList())).ToList();
        if (peer.Count > 0)
        {
            series.Add(("PyTorch raw", peer.Select(p => p.Accuracy["raw"]).ToList()));
            series.Add(("PyTorch EMA (_foreach, exp)", peer.Select(p => p.Accuracy["foreach"]).ToList()));
        }

        // One colour per series (the default palette repeats after six); PyTorch's lines are dashed.
        Color[] colors = [Colors.Black, Colors.ForestGreen, Colors.DarkOrange, Colors.Crimson, Colors.Purple, Colors.Teal, Colors.Gray, Colors.ForestGreen];
        int index = 0;
        foreach ((string label, List<List<double>> perSeed) in series)
        {
            Color color = colors[index % colors.Length];
            double offset = (index++ - (series.Count / 2.0)) * 0.02; // side by side, so the error bars stay apart
            double[] x = xs.Select(v => v + offset).ToArray();
            double[] mean = Enumerable.Range(0, epochs).Select(e => perSeed.Average(s => s[e]) * 100).ToArray();
            double[] low = Enumerable.Range(0, epochs).Select(e => mean[e] - (perSeed.Min(s => s[e]) * 100)).ToArray();
            double[] high = Enumerable.Range(0, epochs).Select(e => (perSeed.Max(s => s[e]) * 100) - mean[e]).ToArray();
            var line = plot.Add.Scatter(x, mean);
            line.LegendText = label;
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            if (label.StartsWith("PyTorch", StringComparison.Ordinal))
            {
                line.LinePattern = LinePattern.Dashed;
            }

            for (int e = 0; e < epochs; e++)
            {
                var bar = plot.Add.Line(x[e], mean[e] - low[e], x[e], mean[e] + high[e]); // the seeds' min-max
                bar.Color = line.Color;
                bar.LineWidth = 1.5f;
            }
        }

        plot.Title($"Fashion-MNIST test accuracy: raw and EMA weights ({setup})");
        plot.XLabel("Epoch");
        plot.YLabel("Test accuracy (%), mean and min-max over seeds");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 1100, 640);
    }

    private static string Cell(List<double> values) =>
        Invariant($"{values.Average() * 100:F2} ({values.Min() * 100:F2}-{values.Max() * 100:F2})");

    /// <summary>A post-hoc sweep cell: the seeds whose snapshots could synthesize the profile (NaN: refused, fit more than 5% off).</summary>
    private static string SweepCell(List<double> values)
    {
        List<double> synthesized = values.Where(v => !double.IsNaN(v)).ToList();
        return synthesized.Count == values.Count ? Cell(values)
            : synthesized.Count == 0 ? "not synthesized (the snapshots' fit is more than 5% off)"
            : Invariant($"{Cell(synthesized)} in {synthesized.Count} of {values.Count} seeds (the others' fit is more than 5% off)");
    }

    private static string Gain(List<double> form, List<double> raw)
    {
        var differences = form.Zip(raw, (f, r) => (f - r) * 100).ToList();
        return Invariant($"{differences.Average():+0.00;-0.00} ({differences.Min():+0.00;-0.00} to {differences.Max():+0.00;-0.00})");
    }

    private static string Share(List<double> ratios) =>
        Invariant($"{ratios.Average() * 100:F2}% ({ratios.Min() * 100:F2}-{ratios.Max() * 100:F2}%)");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
