using System.Globalization;

namespace Ema.Benchmarks.Measurement;

/// <summary>A figure over several rounds: its median and its range.</summary>
internal sealed record Spread(double Median, double Min, double Max, int Count)
{
    public static Spread Of(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        return v.Length == 0 ? new Spread(double.NaN, double.NaN, double.NaN, 0) : new Spread(Stats.Median(v), v.Min(), v.Max(), v.Length);
    }

    /// <summary>"median (min-max)" with the given format, each value scaled by <paramref name="scale"/>.</summary>
    public string Format(string format = "0.00", double scale = 1) => string.Create(CultureInfo.InvariantCulture,
        $"{(Median * scale).ToString(format, CultureInfo.InvariantCulture)} ({(Min * scale).ToString(format, CultureInfo.InvariantCulture)}-{(Max * scale).ToString(format, CultureInfo.InvariantCulture)})");
}
