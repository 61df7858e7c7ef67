using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Measurement;

/// <summary>
/// The unit costs SwapCost chooses from, measured here (--swap-costs): one <c>set_</c> of one tensor, the fixed
/// cost of one exchanged chunk, and the cost per exchanged byte. Each is timed over a short batch many times and the fastest batch kept: on a shared
/// machine a short batch often runs without being preempted, and the fastest one is the cost of the work itself,
/// which a median over a loaded minute is not.
/// </summary>
internal static class SwapCosts
{
    private const int Tensors = 200;
    private const int Samples = 400;

    public static int Run()
    {
        using var noGrad = no_grad();
        (double setNs, double setMedianNs) = SetCost();
        // A tiny exchange is the fixed cost of one chunk (three calls); 2,000 x 512 values adds the bytes.
        (double chunkNs, double chunkMedianNs) = ExchangeCost(512);
        const long Values = 2000 * 512;
        (double bigNs, double bigMedianNs) = ExchangeCost(Values);
        double perByte = (bigNs - (ChunkedPair.Count(Values) * chunkNs)) / (Values * sizeof(float));
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"set_ of one tensor, one direction: {setNs:0} ns fastest batch, {setMedianNs:0} ns median (SwapCost assumes {SwapCost.RepointNanosecondsPerTensor:0})"));
        Console.WriteLine(string.Create(inv, $"exchange of 512 values (one chunk, three copy_ calls): {chunkNs:0} ns fastest, {chunkMedianNs:0} ns median (SwapCost assumes {SwapCost.ExchangeNanosecondsPerChunk:0} per chunk)"));
        Console.WriteLine(string.Create(inv, $"exchange of 2,000 x 512 values: {bigNs / 1000:0} us fastest, {bigMedianNs / 1000:0} us median; {perByte:0.000} ns per byte beyond the calls (SwapCost assumes {SwapCost.ExchangeNanosecondsPerByte:0.000})"));
        Console.WriteLine(string.Create(inv, $"so re-pointing 2,000 tensors takes {2000 * setNs / 1000:0} us one direction, exchanging their values {bigNs / 1000:0} us; break-even near {setNs / perByte / sizeof(float):0} float32 values per tensor"));
        return 0;
    }

    private static (double Fastest, double Median) SetCost()
    {
        using Tensor flat = zeros(Tensors * 512L);
        using Tensor other = zeros(Tensors * 512L);
        Tensor[] targets = Enumerable.Range(0, Tensors).Select(i => flat.narrow(0, i * 512L, 512)).ToArray();
        Tensor[] homes = Enumerable.Range(0, Tensors).Select(i => flat.narrow(0, i * 512L, 512)).ToArray();
        Tensor[] aways = Enumerable.Range(0, Tensors).Select(i => other.narrow(0, i * 512L, 512)).ToArray();
        var samples = new List<double>();
        for (int s = 0; s < Samples; s++)
        {
            Tensor[] to = s % 2 == 0 ? aways : homes;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Tensors; i++)
            {
                targets[i].set_(to[i]);
            }

            samples.Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / Tensors);
        }

        foreach (Tensor t in targets.Concat(homes).Concat(aways))
        {
            t.Dispose();
        }

        return (samples.Min(), Stats.Median(samples));
    }

    /// <summary>The fastest and median exchange, one direction, of <paramref name="values"/> float32 values.</summary>
    private static (double Fastest, double Median) ExchangeCost(long values)
    {
        using Tensor model = randn(values);
        using Tensor ema = randn(values);
        using var exchange = new ChunkedExchange(model, ema);
        var samples = new List<double>();
        for (int s = 0; s < Samples; s++)
        {
            long start = Stopwatch.GetTimestamp();
            exchange.Exchange();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds);
        }

        return (samples.Min(), Stats.Median(samples));
    }
}
