using System.Diagnostics;

namespace Ema.Benchmarks.Measurement;

/// <summary>
/// Times several operations in rounds, one sample of each per round, so that load from other processes on this
/// shared 2-core machine falls on all of them alike and their ratios stay meaningful; reports medians.
/// </summary>
internal sealed class RoundRobinTimer
{
    private readonly List<(string Name, Action Run)> _operations = [];

    public void Add(string name, Action run) => _operations.Add((name, run));

    /// <returns>The median milliseconds per call of each operation, by name.</returns>
    public Dictionary<string, double> Run(int warmupRounds, int rounds, int callsPerSample)
    {
        var samples = _operations.ToDictionary(o => o.Name, _ => new List<double>());
        for (int round = 0; round < warmupRounds + rounds; round++)
        {
            foreach ((string name, Action run) in _operations)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < callsPerSample; i++)
                {
                    run();
                }

                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds / callsPerSample;
                if (round >= warmupRounds)
                {
                    samples[name].Add(ms);
                }
            }
        }

        return samples.ToDictionary(s => s.Key, s => Stats.Median(s.Value));
    }
}
