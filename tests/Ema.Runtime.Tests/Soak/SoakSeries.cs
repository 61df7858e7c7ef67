using System.Globalization;

namespace Ema.Runtime.Tests;

/// <summary>One memory sample of a soak run, taken after <see cref="Update"/> updates.</summary>
public sealed record SoakSample(long Update, long Tensors, long GcHeap, long NativeHeap, long AnonymousResident);

/// <summary>What tests/Ema.Soak printed: its samples along the run and its summary figures.</summary>
public sealed record SoakSeries(IReadOnlyList<SoakSample> Samples, IReadOnlyDictionary<string, string> Summary)
{
    /// <summary>Parses the program's output: "sample key=value ..." lines, then one "updates=..." summary line.</summary>
    public static SoakSeries Parse(string stdout)
    {
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var samples = lines.Where(l => l.StartsWith("sample ", StringComparison.Ordinal)).Select(l =>
        {
            Dictionary<string, string> pairs = Pairs(l["sample ".Length..]);
            long Get(string key) => long.Parse(pairs[key], CultureInfo.InvariantCulture);
            return new SoakSample(Get("update"), Get("tensors"), Get("gc_heap"), Get("native_heap"), Get("rss_anon"));
        }).ToList();
        return new SoakSeries(samples, Pairs(lines.Single(l => l.StartsWith("updates=", StringComparison.Ordinal))));
    }

    private static Dictionary<string, string> Pairs(string line) =>
        line.Split(' ').Select(pair => pair.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
}
