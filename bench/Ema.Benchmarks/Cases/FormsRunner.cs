using System.Globalization;
using Ema.Benchmarks.Measurement;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Cases;

/// <summary>
/// The K-EMA and cadence figures (issue 14): the time per EMA when K = 1, 2 or 4 EMAs of one model update
/// every step, and the time per step of an EMA with UpdateEvery = 4 and 8, all side by side in one round-robin run.
/// </summary>
internal static class FormsRunner
{
    private const long TotalSteps = 1_000_000;

    public static int Run(RunSettings settings, IReadOnlyList<TensorSpec> specs, string description)
    {
        var models = new List<ShapeModule>();
        var emas = new List<ModelEma>();
        try
        {
            ModelEma alone = Make(models, emas, specs, count: 1, updateEvery: 1)[0];
            ModelEma[] four = Make(models, emas, specs, count: 4, updateEvery: 1);
            ModelEma every4 = Make(models, emas, specs, count: 1, updateEvery: 4)[0];
            ModelEma every8 = Make(models, emas, specs, count: 1, updateEvery: 8)[0];
            var steps = new Dictionary<ModelEma, long>();

            void Step(ModelEma ema)
            {
                long step = steps.GetValueOrDefault(ema) + 1;
                steps[ema] = step;
                ema.Update(step, TotalSteps);
            }

            // Each sample is 8 optimizer steps, so that the cadence cases do their 2 or 1 real updates in every sample.
            const int StepsPerSample = 8;
            var timer = new RoundRobinTimer();
            timer.Add("k1", () => Repeat(StepsPerSample, () => Step(alone)));
            timer.Add("k2", () => Repeat(StepsPerSample, () => { Step(four[0]); Step(four[1]); }));
            timer.Add("k4", () => Repeat(StepsPerSample, () => Array.ForEach(four, Step)));
            timer.Add("every4", () => Repeat(StepsPerSample, () => Step(every4)));
            timer.Add("every8", () => Repeat(StepsPerSample, () => Step(every8)));
            Dictionary<string, double> ms = timer.Run(settings.WarmupRounds, settings.Rounds, callsPerSample: 1);

            double one = ms["k1"] / StepsPerSample;
            Console.WriteLine($"Several EMAs and cadence: {description}, {Environment.ProcessorCount} cores, torch threads {get_num_threads()}, medians of {settings.Rounds} rounds");
            Console.WriteLine("| case | ms per step | per EMA | per EMA / one EMA alone |");
            Console.WriteLine("| --- | --- | --- | --- |");
            foreach ((string name, int k) in new[] { ("k1", 1), ("k2", 2), ("k4", 4) })
            {
                double perStep = ms[name] / StepsPerSample;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| K = {k} EMAs of one model | {perStep:F2} | {perStep / k:F2} | {perStep / k / one:F3}x |"));
            }

            Console.WriteLine("| case | ms per step | per step / update every step | ideal |");
            Console.WriteLine("| --- | --- | --- | --- |");
            foreach ((string name, int k) in new[] { ("every4", 4), ("every8", 8) })
            {
                double perStep = ms[name] / StepsPerSample;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| UpdateEvery = {k} | {perStep:F2} | {perStep / one:F3}x | {1.0 / k:F3}x |"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"forms\":\"{description}\",\"k1_ms\":{one:F3},\"k2_per_ema_ratio\":{ms["k2"] / 2 / ms["k1"]:F4},\"k4_per_ema_ratio\":{ms["k4"] / 4 / ms["k1"]:F4},\"every4_ratio\":{ms["every4"] / ms["k1"]:F4},\"every8_ratio\":{ms["every8"] / ms["k1"]:F4}}}"));
            return 0;
        }
        finally
        {
            emas.ForEach(e => e.Dispose());
            models.ForEach(m => m.Dispose());
        }
    }

    private static ModelEma[] Make(List<ShapeModule> models, List<ModelEma> emas, IReadOnlyList<TensorSpec> specs, int count, int updateEvery)
    {
        using var generator = new Generator(1234);
        var model = new ShapeModule(specs, ScalarType.Float32, generator);
        models.Add(model);
        var made = new ModelEma[count];
        for (int i = 0; i < count; i++)
        {
            // Different lengths, as a fast and a slow EMA would have; the cost does not depend on them.
            made[i] = new ModelEma(model, new ExpEmaParams(decay: 0.999 + (0.0002 * i)), new ModelEmaOptions { UpdateEvery = updateEvery });
            emas.Add(made[i]);
        }

        return made;
    }

    private static void Repeat(int times, Action action)
    {
        for (int i = 0; i < times; i++)
        {
            action();
        }
    }
}
