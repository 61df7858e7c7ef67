using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>Data, listeners and file helpers for the trainer and checkpoint tests.</summary>
internal static class TrainingSupport
{
    /// <summary>Fixed batches for LinearBatchNorm (3 inputs, 4 outputs), made from a seed.</summary>
    public static List<(Tensor Input, Tensor Target)> Batches(int count, int seed, int batchSize = 4)
    {
        using var generator = new Generator((ulong)seed);
        var batches = new List<(Tensor, Tensor)>();
        for (int i = 0; i < count; i++)
        {
            batches.Add((randn(new long[] { batchSize, 3 }, generator: generator), randn(new long[] { batchSize, 4 }, generator: generator)));
        }

        return batches;
    }

    public static void Dispose(IEnumerable<(Tensor Input, Tensor Target)> batches)
    {
        foreach ((Tensor input, Tensor target) in batches)
        {
            input.Dispose();
            target.Dispose();
        }
    }

    public static Tensor Mse(Tensor output, Tensor target) => nn.functional.mse_loss(output, target);

    /// <summary>Every state-dict tensor as float32 values (exact for float32 and small integers).</summary>
    public static Dictionary<string, float[]> Snapshot(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(p => p.Key, p => ModuleValues.Get(p.Value));

    public static Dictionary<string, float[]> Snapshot(nn.Module module) => Snapshot(module.state_dict());

    public static void AssertSame(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach ((string name, float[] values) in expected)
        {
            Assert.True(values.SequenceEqual(actual[name]), $"'{name}' differs: [{string.Join(", ", values)}] vs [{string.Join(", ", actual[name])}]");
        }
    }

    public static bool AnyDifferent(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.Any(p => !p.Value.SequenceEqual(b[p.Key]));

    /// <summary>The tensors under <paramref name="prefix"/> in a checkpoint, as float32 values.</summary>
    public static Dictionary<string, float[]> ReadPrefix(string path, string prefix)
    {
        Dictionary<string, Tensor> tensors = ReadTensors(path);
        try
        {
            return Snapshot(tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value));
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Every tensor of a checkpoint in either format, by full name (<c>net.x</c>, <c>ema_net.x</c>, <c>optimizer.state</c>); the caller disposes them.</summary>
    public static Dictionary<string, Tensor> ReadTensors(string path)
    {
        using CheckpointContent content = CheckpointContent.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string section in new[] { CheckpointKeys.Net, CheckpointKeys.EmaNet })
        {
            foreach ((string name, StoredTensor stored) in content.Section(section))
            {
                result[section + "." + name] = Read(content, stored);
            }
        }

        if (content.OptimizerState is { } optimizer)
        {
            result[CheckpointKeys.OptimizerState] = Read(content, optimizer);
        }

        return result;
    }

    /// <summary>One stored tensor of an open checkpoint, read into a new tensor the caller disposes.</summary>
    public static Tensor Read(CheckpointContent content, StoredTensor stored)
    {
        Tensor tensor = empty(stored.Shape, stored.Type);
        TensorStreaming.ReadInto(content.Stream, stored, tensor);
        return tensor;
    }

    /// <summary>A directory deleted at dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("ema-tests-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>Splits a safetensors file into its header (as JSON) and data.</summary>
    public static (JsonObject Header, byte[] Data) Split(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        var header = (JsonObject)JsonNode.Parse(bytes.AsSpan(8, (int)n))!;
        return (header, bytes[(8 + (int)n)..]);
    }

    /// <summary>Writes a file from a header text (not padded or checked) and data.</summary>
    public static void WriteRaw(string path, string header, byte[] data)
    {
        byte[] headerBytes = System.Text.Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((long)headerBytes.Length));
        stream.Write(headerBytes);
        stream.Write(data);
    }
}

/// <summary>Records the events as text, e.g. "step 2", and runs optional checks at each.</summary>
internal sealed class RecordingListener : TrainingListener
{
    public List<string> Events { get; } = [];

    public List<EpochResult> Results { get; } = [];

    public Action<TrainingContext>? AtOptimizerStep { get; init; }

    public Action<TrainingContext>? AtValidationStart { get; init; }

    public Action<TrainingContext>? AtValidationEnd { get; init; }

    public Action<TrainingContext, EpochResult>? AtEpochEnd { get; init; }

    public override void OnTrainingStart(TrainingContext context) => Events.Add("start");

    public override void OnOptimizerStep(TrainingContext context)
    {
        Events.Add($"step {context.GlobalStep}");
        AtOptimizerStep?.Invoke(context);
    }

    public override void OnValidationStart(TrainingContext context)
    {
        Events.Add($"validation start {context.Epoch}");
        AtValidationStart?.Invoke(context);
    }

    public override void OnValidationEnd(TrainingContext context)
    {
        Events.Add($"validation end {context.Epoch}");
        AtValidationEnd?.Invoke(context);
    }

    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        Events.Add($"epoch end {result.Epoch}");
        Results.Add(result);
        AtEpochEnd?.Invoke(context, result);
    }

    public override void OnTrainingEnd(TrainingContext context) => Events.Add("end");
}
