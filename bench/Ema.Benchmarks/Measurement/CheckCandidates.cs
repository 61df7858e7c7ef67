using System.Globalization;
using Ema.Benchmarks.Cases;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Measurement;

/// <summary>
/// The non-finite check's candidates (--check-candidates), each timed beside the floor and the update itself on
/// ResNet-50's number of float32 values, in rounds: what docs/benchmarks.md reports as kept or rejected.
/// </summary>
internal static class CheckCandidates
{
    public static int Run(int rounds)
    {
        using var noGrad = no_grad();
        long values = CaseDefinition.Full()[0].FloatingValues;
        using var generator = new Generator(7);
        using Tensor model = randn(new[] { values }, generator: generator);
        using Tensor ema = randn(new[] { values }, generator: generator);
        using Tensor acc = zeros(values);
        using Tensor weight = full(Array.Empty<long>(), 0.001f);
        using Tensor ones = torch.ones(values);
        using Tensor asDouble = zeros(Array.Empty<long>(), ScalarType.Float64);
        bool Finite(Tensor t)
        {
            asDouble.copy_(t);
            return double.IsFinite(asDouble.item<double>());
        }

        var timer = new RoundRobinTimer();
        timer.Add("floor: add_ (12 B/value)", () => acc.add_(ema));
        timer.Add("update: lerp_ (12 B/value)", () => ema.lerp_(model, weight));
        timer.Add("sum() (kept today)", () => { using Tensor s = model.sum(); _ = Finite(s); });
        timer.Add("aminmax() (exact, one pass)", () =>
        {
            (Tensor min, Tensor max) = model.aminmax();
            using (min)
            using (max)
            {
                _ = Finite(min) && Finite(max);
            }
        });
        timer.Add("linalg.vector_norm(inf) (exact)", () => { using Tensor n = linalg.vector_norm(model, double.PositiveInfinity); _ = Finite(n); });
        timer.Add("view(2, -1).sum(1).sum() (halves per thread)", () =>
        {
            using Tensor halves = model.view(2, -1);
            using Tensor partial = halves.sum(1);
            using Tensor s = partial.sum();
            _ = Finite(s);
        });
        timer.Add("view(-1, 2).sum(0).sum() (interleaved halves)", () =>
        {
            using Tensor pairs = model.view(-1, 2);
            using Tensor partial = pairs.sum(0);
            using Tensor s = partial.sum();
            _ = Finite(s);
        });
        foreach (long row in new long[] { 1024, 4096, 16384, 65536, 262144 })
        {
            timer.Add($"view(-1, {row}).sum(1).sum() (rows)", () =>
            {
                using Tensor body = model.narrow(0, 0, values / row * row);
                using Tensor rows = body.view(-1, row);
                using Tensor partial = rows.sum(1);
                using Tensor s = partial.sum();
                _ = Finite(s); // (the tail would be summed apart)
            });
        }

        timer.Add("dot(x, ones) (BLAS, preallocated ones)", () => { using Tensor d = model.dot(ones); _ = Finite(d); });
        timer.Add("isfinite(x).all() (full-size bool temporary)", () => { using Tensor f = model.isfinite(); using Tensor a = f.all(); _ = a.item<bool>(); });
        timer.Add("isfinite(chunk).all() per 256K chunk (L2)", () =>
        {
            for (long start = 0; start < values; start += 1 << 18)
            {
                using Tensor chunk = model.narrow(0, start, Math.Min(1 << 18, values - start));
                using Tensor f = chunk.isfinite();
                using Tensor a = f.all();
                if (!a.item<bool>())
                {
                    break;
                }
            }
        });
        timer.Add("nansum() (blind to NaN)", () => { using Tensor s = model.nansum(); _ = Finite(s); });
        timer.Add("count_nonzero(x) (not a finiteness test)", () => { using Tensor c = model.count_nonzero(); _ = c.item<long>(); });

        Dictionary<string, double> medians = timer.Run(warmupRounds: 2, rounds, callsPerSample: 1);
        double floorMs = medians["floor: add_ (12 B/value)"];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"non-finite check candidates on {values:N0} float32 values, medians of {rounds} rounds, {Environment.ProcessorCount} cores, torch threads {get_num_threads()}"));
        Console.WriteLine("| candidate | ms | / floor | update + check / floor |");
        Console.WriteLine("|---|---|---|---|");
        double updateMs = medians["update: lerp_ (12 B/value)"];
        foreach ((string name, double ms) in medians)
        {
            string withUpdate = name.StartsWith("floor", StringComparison.Ordinal) || name.StartsWith("update", StringComparison.Ordinal)
                ? "-" : ((updateMs + ms) / floorMs).ToString("0.00", CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ms:0.000} | {ms / floorMs:0.00} | {withUpdate} |"));
        }

        return 0;
    }
}
