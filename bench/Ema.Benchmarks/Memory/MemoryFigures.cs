using System.Globalization;
using Ema.Benchmarks.Cases;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Memory;

/// <summary>
/// Memory figures of the twin binding and of leaving frozen parameters out, on ResNet-50's tensors (float32):
/// (1) what a bound twin keeps beyond the EMA, against the EMA's bytes (goal: at most 1%);
/// (2) the EMA's bytes when 90% of the parameters are frozen and left out, against the whole EMA.
/// Run: <c>dotnet run --project bench/Ema.Benchmarks -c Release -- --memory</c>.
/// </summary>
internal static class MemoryFigures
{
    public static int Run()
    {
        IReadOnlyList<TensorSpec> specs = ShapeSets.ResNet50();
        Console.WriteLine("Memory figures, ResNet-50 tensors, float32 (live native heap from glibc mallinfo2; tensor bytes from ModelEma.SizeInBytes)");
        Twin(specs);
        Frozen(specs, fraction: 0.9);
        return 0;
    }

    private static void Twin(IReadOnlyList<TensorSpec> specs)
    {
        using var generator = new Generator(1234);
        using var model = new ShapeModule(specs, ScalarType.Float32, generator);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.999), new ModelEmaOptions { NonFinite = NonFinitePolicy.Ignore });
        ema.Update(1, 10); // libtorch's first-use allocations (thread pools) before the baseline, not in the figure
        long? beforeTwin = LiveNativeBytes.Now();
        using var twin = new ShapeModule(specs, ScalarType.Float32, generator);
        long? twinMade = LiveNativeBytes.Now();
        using TwinBinding binding = ema.BindTwin(twin);
        ema.Update(2, 10);
        long? bound = LiveNativeBytes.Now();

        long emaBytes = ema.SizeInBytes;
        Console.WriteLine($"twin: EMA {Mb(emaBytes)}; the twin's own weights before binding {Mb(beforeTwin, twinMade)}; " +
            $"left after binding (beyond the EMA) {Mb(beforeTwin, bound)} = {Percent(beforeTwin, bound, emaBytes)} of the EMA (goal <= 1%)");
    }

    private static void Frozen(IReadOnlyList<TensorSpec> specs, double fraction)
    {
        (long whole, long? wholeHeap, double frozenShare) = EmaOfFrozenModel(specs, fraction, exclude: null);
        (long part, long? partHeap, _) = EmaOfFrozenModel(specs, fraction, EmaExclude.FrozenParameters);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"frozen: {frozenShare * 100:F1}% of parameter values frozen; EMA of everything {Mb(whole)} (live heap it adds {Mb(wholeHeap)}), " +
            $"with EmaExclude.FrozenParameters {Mb(part)} (live heap it adds {Mb(partHeap)}) = {part * 100.0 / whole:F1}% of the whole EMA"));
    }

    /// <summary>A fresh model with <paramref name="fraction"/> of its parameter values frozen, and the bytes its EMA holds.</summary>
    private static (long EmaBytes, long? HeapAdded, double FrozenShare) EmaOfFrozenModel(IReadOnlyList<TensorSpec> specs, double fraction, Func<string, Tensor, bool>? exclude)
    {
        using var generator = new Generator(1234);
        using var model = new ShapeModule(specs, ScalarType.Float32, generator);
        long frozen = FreezeLeading(model, fraction, out long total);
        long? before = LiveNativeBytes.Now();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.999), new ModelEmaOptions { Exclude = exclude });
        long? after = LiveNativeBytes.Now();
        return (ema.SizeInBytes, after - before, (double)frozen / total);
    }

    /// <summary>Freezes whole parameters, largest first, up to <paramref name="fraction"/> of the parameter values.</summary>
    private static long FreezeLeading(nn.Module model, double fraction, out long total)
    {
        TorchSharp.Modules.Parameter[] parameters = model.parameters().OrderByDescending(p => p.numel()).ToArray();
        total = parameters.Sum(p => p.numel());
        long frozen = 0;
        foreach (TorchSharp.Modules.Parameter parameter in parameters)
        {
            if (frozen + parameter.numel() > fraction * total)
            {
                continue; // freeze up to the fraction, not beyond
            }

            parameter.requires_grad = false;
            frozen += parameter.numel();
        }

        return frozen;
    }

    private static string Mb(long? bytes) => bytes is null ? "n/a (no mallinfo2)" : Mb(bytes.Value);

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F2} MB");

    private static string Mb(long? from, long? to) => from is { } a && to is { } b ? Mb(b - a) : "n/a (no mallinfo2)";

    private static string Percent(long? from, long? to, long of) =>
        from is { } a && to is { } b ? string.Create(CultureInfo.InvariantCulture, $"{(b - a) * 100.0 / of:F3}%") : "n/a";
}
