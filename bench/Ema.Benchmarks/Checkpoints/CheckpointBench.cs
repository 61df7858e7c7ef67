using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ema.Benchmarks.Cases;
using Ema.Benchmarks.Measurement;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Checkpoints;

/// <summary>
/// Checkpoint load and save in both formats, side by side in one run: time against a plain read of the same file
/// (4 MiB reads into one buffer, warm page cache like the load), and peak resident memory growth against the
/// issue's bound (largest tensor + 16 MiB). Also the header-first refusal of a sparse 4 GB tensor.
/// <c>--checkpoints</c> runs ResNet-50's shapes; <c>--checkpoint-1gb</c> adds a 1 GiB model (8 x 128 MiB).
/// </summary>
internal static class CheckpointBench
{
    private const int Rounds = 5;

    public static int Run(bool include1Gb)
    {
        var cases = new List<(string Name, IReadOnlyList<TensorSpec> Specs)> { ("resnet50", ShapeSets.ResNet50()) };
        if (include1Gb)
        {
            cases.Add(("1gb", Enumerable.Range(0, 8).Select(i => new TensorSpec($"w{i}", [8192, 4096], true, true)).ToList()));
        }

        string dir = Directory.CreateTempSubdirectory("ema-ckpt-bench-").FullName;
        try
        {
            Console.WriteLine($"Checkpoint benchmark: medians of {Rounds} rounds, warm page cache, {Environment.ProcessorCount} cores");
            Console.WriteLine("| case | format | file MiB | plain read ms | load ms | load / read | save ms | load peak growth MiB | save peak growth MiB | bound (largest + 16) MiB |");
            Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach ((string name, IReadOnlyList<TensorSpec> specs) in cases)
            {
                foreach (string extension in new[] { ".safetensors", ".pth" })
                {
                    Console.WriteLine(Measure(name, specs, Path.Combine(dir, "ckpt" + extension)));
                }
            }

            Console.WriteLine(Refusal(dir));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Measure(string name, IReadOnlyList<TensorSpec> specs, string path)
    {
        using var generator = new Generator(7);
        using var source = new ShapeModule(specs, ScalarType.Float32, generator);
        using var target = new ShapeModule(specs, ScalarType.Float32, generator);
        long largest = specs.Max(s => s.Count) * 4;
        var save = new List<double>();
        var load = new List<double>();
        var read = new List<double>();
        long savePeak = 0, loadPeak = 0;
        // The plain read's destination is as large as the file and touched before timing: a load writes every byte
        // into the model's own (warm, allocated) memory, so a small reused buffer that stays in cache would time a
        // copy no load can do.
        byte[]? buffer = null;
        for (int round = 0; round < Rounds; round++)
        {
            savePeak = Math.Max(savePeak, PeakMemory.GrowthDuring(() => save.Add(Time(() => Checkpoint.Save(path, source)))) ?? -1);
            buffer ??= Touched(new FileInfo(path).Length);
            read.Add(Time(() => PlainRead(path, buffer)));
            loadPeak = Math.Max(loadPeak, PeakMemory.GrowthDuring(() => load.Add(Time(() => Checkpoint.LoadForInference(target, path)))) ?? -1);
        }

        double readMs = Stats.Median(read), loadMs = Stats.Median(load);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Path.GetExtension(path)} | {new FileInfo(path).Length / 1048576.0:F0} | {readMs:F1} | {loadMs:F1} | {loadMs / readMs:F2}x | {Stats.Median(save):F1} | {Mib(loadPeak)} | {Mib(savePeak)} | {(largest >> 20) + 16} |");
    }

    private static string Mib(long bytes) => bytes < 0 ? "n/a" : (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    private static byte[] Touched(long length)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(length, Array.MaxLength));
        Array.Fill(buffer, (byte)1);
        return buffer;
    }

    private static void PlainRead(string path, byte[] buffer)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int offset = 0;
        int read;
        while ((read = stream.Read(buffer, offset, Math.Min(4 << 20, buffer.Length - offset))) > 0)
        {
            offset += read;
            if (offset == buffer.Length)
            {
                offset = 0; // a file longer than the buffer (never, as sized above) wraps rather than fails
            }
        }
    }

    /// <summary>The issue's measured case: a sparse file whose one tensor claims 4 GB and is not the model's.</summary>
    private static string Refusal(string dir)
    {
        string path = Path.Combine(dir, "huge.safetensors");
        const long size = 4L << 30;
        byte[] header = Encoding.UTF8.GetBytes($"{{\"evil\":{{\"dtype\":\"F32\",\"shape\":[{size / 4}],\"data_offsets\":[0,{size}]}}}}");
        using (var stream = new FileStream(path, FileMode.Create))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            stream.SetLength(8 + header.Length + size);
        }

        using var generator = new Generator(7);
        using var model = new ShapeModule(ShapeSets.ResNet50(), ScalarType.Float32, generator);
        double ms = 0;
        long? peak = PeakMemory.GrowthDuring(() => ms = Time(() =>
        {
            try
            {
                Checkpoint.LoadForInference(model, path);
            }
            catch (CheckpointException)
            {
            }
        }));
        File.Delete(path);
        return string.Create(CultureInfo.InvariantCulture, $"\nsparse 4 GB tensor not the model's: refused in {ms:F1} ms, peak growth {Mib(peak ?? -1)} MiB");
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }
}
