using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>Every malformed file gives a CheckpointException naming the file (and the tensor), and the model is unchanged.</summary>
public sealed class BadCheckpointTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _good;
    private readonly string _bad;

    public BadCheckpointTests()
    {
        manual_seed(60);
        using var source = new LinearBatchNorm();
        using var ema = new ModelEma(source, new ConstantEmaParams(0.5));
        using var optimizer = optim.SGD(source.parameters(), 0.1, momentum: 0.9);
        _good = _dir.File("good.safetensors");
        _bad = _dir.File("bad.safetensors");
        Checkpoint.Save(_good, source, ema, optimizer, epoch: 1);
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string, string?> Cases => new()
    {
        // case, expected message fragment, expected tensor (null: the file as a whole)
        { "truncated-below-8", "truncated", null },
        { "header-length-beyond-file", "beyond the file", null },
        { "truncated-data", "beyond the data section", "ema_net.bn.running_mean" },
        { "invalid-json", "not valid JSON", null },
        { "unknown-dtype", "unknown dtype 'F8'", "net.linear.weight" },
        { "offset-out-of-bounds", "beyond the data section", "net.linear.bias" },
        { "overlap", "overlap", "net.linear.bias" },
        { "gap", "gap", "net.linear.bias" },
        { "trailing-data", "trailing or missing", null },
        { "size-mismatch", "needs 96 bytes", "net.linear.weight" },
        { "missing-tensor", "missing", "ema_net.bn.running_var" },
        { "shape-mismatch", "does not match the model's [4, 3]", "ema_net.linear.weight" },
        { "newer-format", "'ema_checkpoint_version' = '2': this Ema reads checkpoint format 1 only", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_file_is_refused_clearly_and_the_model_is_unchanged(string kind, string fragment, string? tensorName)
    {
        Corrupt(kind);
        manual_seed(61);
        using var model = new LinearBatchNorm();
        Dictionary<string, float[]> before = Snapshot(model);

        var inference = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, _bad));
        AssertNamed(inference, fragment, tensorName);
        AssertSame(before, Snapshot(model));

        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        Dictionary<string, float[]> emaBefore = Snapshot(ema.EmaWeights);
        var resume = Assert.Throws<CheckpointException>(() => Checkpoint.Resume(_bad, model, ema, optimizer));
        AssertNamed(resume, fragment, tensorName);
        AssertSame(before, Snapshot(model));
        AssertSame(emaBefore, Snapshot(ema.EmaWeights));
    }

    [Theory]
    [InlineData("missing", "missing", "net.bn.running_var")]
    [InlineData("shape", "does not match the model's [4]", "net.linear.bias")]
    public void A_bad_net_tensor_in_a_checkpoint_without_EMA_is_refused_on_the_inference_fallback(string kind, string fragment, string tensorName)
    {
        using (var source = new LinearBatchNorm())
        {
            Checkpoint.Save(_bad, source); // net.* only: inference loading falls back to net
        }

        using (var intact = new LinearBatchNorm())
        {
            Assert.Equal("net", Checkpoint.LoadForInference(intact, _bad)); // so the failure below is the corruption's
        }

        (JsonObject header, byte[] data) = Split(_bad);
        Assert.DoesNotContain(header, p => p.Key.StartsWith(CheckpointKeys.EmaNetPrefix, StringComparison.Ordinal));
        if (kind == "missing")
        {
            RemoveTensor(header, ref data, tensorName);
        }
        else
        {
            header[tensorName]!["shape"] = new JsonArray(2, 2); // same byte size, other shape
        }

        WriteRaw(_bad, header.ToJsonString(), data);
        manual_seed(62);
        using var model = new LinearBatchNorm();
        Dictionary<string, float[]> before = Snapshot(model);

        var inference = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, _bad));
        AssertNamed(inference, fragment, tensorName);
        AssertSame(before, Snapshot(model));

        var resume = Assert.Throws<CheckpointException>(() => Checkpoint.Resume(_bad, model, null, null));
        AssertNamed(resume, fragment, tensorName);
        AssertSame(before, Snapshot(model));
    }

    [Fact]
    public void The_intact_file_loads_so_the_failures_above_come_from_the_corruption()
    {
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        Assert.Equal("ema_net", Checkpoint.LoadForInference(model, _good));
        Assert.Equal(1, Checkpoint.Resume(_good, model, ema, optimizer).Epoch);
    }

    [Fact]
    public void A_missing_file_and_a_checkpoint_without_EMA_for_an_EMA_run_are_refused()
    {
        using var model = new LinearBatchNorm();
        var missing = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, _dir.File("none.safetensors")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        Checkpoint.Save(_bad, model);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        var noEma = Assert.Throws<CheckpointException>(() => Checkpoint.Resume(_bad, model, ema, null));
        Assert.Contains("no ema_net", noEma.Message, StringComparison.Ordinal);
        var noOptimizer = Assert.Throws<CheckpointException>(() => Checkpoint.Resume(_bad, model, null, optim.SGD(model.parameters(), 0.1)));
        Assert.Equal(CheckpointKeys.OptimizerState, noOptimizer.TensorName);
    }

    private void AssertNamed(CheckpointException error, string fragment, string? tensorName)
    {
        Assert.Equal(_bad, error.FilePath);
        Assert.Contains(_bad, error.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.Equal(tensorName, error.TensorName);
        if (tensorName is not null)
        {
            Assert.Contains($"'{tensorName}'", error.Message, StringComparison.Ordinal);
        }
    }

    private void Corrupt(string kind)
    {
        byte[] bytes = File.ReadAllBytes(_good);
        (JsonObject header, byte[] data) = Split(_good);
        switch (kind)
        {
            case "truncated-below-8":
                File.WriteAllBytes(_bad, bytes[..5]);
                return;
            case "header-length-beyond-file":
                BitConverter.GetBytes((long)bytes.Length).CopyTo(bytes, 0);
                File.WriteAllBytes(_bad, bytes);
                return;
            case "truncated-data":
                File.WriteAllBytes(_bad, bytes[..^(data.Length / 2)]);
                return;
            case "invalid-json":
                WriteRaw(_bad, header.ToJsonString()[..^3], data);
                return;
            case "unknown-dtype":
                header["net.linear.weight"]!["dtype"] = "F8";
                break;
            case "offset-out-of-bounds":
                header["net.linear.bias"]!["data_offsets"] = new JsonArray(data.Length, data.Length + 16);
                break;
            case "overlap":
                Offsets(header, "net.linear.bias", -4);
                break;
            case "gap":
                Offsets(header, "net.linear.bias", 4);
                break;
            case "trailing-data":
                data = [.. data, 1, 2, 3, 4];
                break;
            case "size-mismatch":
                header["net.linear.weight"]!["dtype"] = "F64"; // 4 x 3 x 8 = 96 bytes in a 48-byte region
                break;
            case "missing-tensor":
                RemoveTensor(header, ref data, "ema_net.bn.running_var"); // inference loading reads ema_net
                break;
            case "shape-mismatch":
                header["ema_net.linear.weight"]!["shape"] = new JsonArray(3, 4); // same byte size, other shape
                break;
            case "newer-format":
                header["__metadata__"]!["ema_checkpoint_version"] = "2";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }

        WriteRaw(_bad, header.ToJsonString(), data);
    }

    private static void Offsets(JsonObject header, string name, long shift)
    {
        JsonArray offsets = header[name]!["data_offsets"]!.AsArray();
        header[name]!["data_offsets"] = new JsonArray(offsets[0]!.GetValue<long>() + shift, offsets[1]!.GetValue<long>() + shift);
    }

    private static void RemoveTensor(JsonObject header, ref byte[] data, string name)
    {
        JsonArray removed = header[name]!["data_offsets"]!.AsArray();
        long begin = removed[0]!.GetValue<long>(), end = removed[1]!.GetValue<long>();
        header.Remove(name);
        foreach ((string key, JsonNode? value) in header.ToList())
        {
            if (key != "__metadata__" && value!["data_offsets"]![0]!.GetValue<long>() >= end)
            {
                Offsets(header, key, begin - end);
            }
        }

        data = [.. data[..(int)begin], .. data[(int)end..]];
    }
}
