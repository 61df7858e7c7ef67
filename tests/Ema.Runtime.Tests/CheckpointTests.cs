using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

public sealed class CheckpointTests
{
    private static TrainingParams EmaParams(int epochs) => new()
    {
        MaxEpochs = epochs,
        InitialLr = 0.1,
        Ema = true,
        EmaParams = new ExpEmaParams(decay: 0.9, beta: 3),
    };

    [Fact]
    public void Net_holds_the_raw_weights_and_ema_net_the_EMA_although_validation_ran_with_the_EMA()
    {
        using var dir = new TempDir();
        manual_seed(20);
        using var model = new LinearBatchNorm();
        List<(Tensor, Tensor)> data = Batches(3, seed: 7);
        Dictionary<string, float[]>? ema = null, raw = null;
        var listener = new RecordingListener { AtEpochEnd = (c, _) => (ema, raw) = (Snapshot(c.Ema!.EmaWeights), Snapshot(c.Model)) };
        using var trainer = new Trainer(model, Mse, EmaParams(2), options: new TrainerOptions { CheckpointDirectory = dir.Path, Listeners = [listener] });

        trainer.Train(data, data);

        string latest = dir.File(Checkpoint.LatestFileName);
        AssertSame(raw!, ReadPrefix(latest, CheckpointKeys.NetPrefix));
        AssertSame(ema!, ReadPrefix(latest, CheckpointKeys.EmaNetPrefix));
        Assert.True(AnyDifferent(raw!, ema!));
        CheckpointInfo info = Checkpoint.ReadInfo(latest);
        Assert.Equal(2, info.Epoch);
        Assert.Equal(6, info.GlobalStep);
        Assert.Equal(6, info.EmaStep);
        Assert.True(info.HasEma);
        // The literal key and value a reader in another language checks (docs/checkpoints.md), in the raw header too.
        Assert.Equal("1", info.Metadata["ema_checkpoint_version"]);
        Assert.Equal("1", Split(latest).Header["__metadata__"]!["ema_checkpoint_version"]!.GetValue<string>());
        Assert.Equal("exp", info.Metadata["decay_type"]);
        Assert.Equal("0.9", info.Metadata["decay"]);
        Assert.Equal("3", info.Metadata["beta"]);
        Assert.Equal(new ExpEmaParams(decay: 0.9, beta: 3), DecaySchedules.FromJson(info.Metadata["ema_params"]));
        Assert.True(File.Exists(dir.File(Checkpoint.BestFileName)));
        Assert.Equal(new[] { Checkpoint.BestFileName, Checkpoint.LatestFileName }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        Dispose(data);
    }

    [Fact]
    public void Saving_inside_UseEmaWeights_is_refused()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using (ema.UseEmaWeights())
        {
            Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(dir.File("x.safetensors"), model, ema));
        }

        Assert.False(File.Exists(dir.File("x.safetensors")));
    }

    [Fact]
    public void Inference_loading_prefers_ema_net_and_falls_back_to_net()
    {
        using var dir = new TempDir();
        manual_seed(21);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using (no_grad())
        {
            model.state_dict()["linear.weight"].add_(1.0f);
        }

        ema.Update(1, 10);
        Dictionary<string, float[]> raw = Snapshot(model), averaged = Snapshot(ema.EmaWeights);
        Assert.True(AnyDifferent(raw, averaged));
        Checkpoint.Save(dir.File("with-ema.safetensors"), model, ema);
        Checkpoint.Save(dir.File("raw-only.safetensors"), model);

        using var first = new LinearBatchNorm();
        Assert.Equal("ema_net", Checkpoint.LoadForInference(first, dir.File("with-ema.safetensors")));
        AssertSame(averaged, Snapshot(first));

        using var second = new LinearBatchNorm();
        Assert.Equal("net", Checkpoint.LoadForInference(second, dir.File("raw-only.safetensors")));
        AssertSame(raw, Snapshot(second));
    }

    [Fact]
    public void Every_supported_dtype_round_trips_bit_exact()
    {
        using var dir = new TempDir();
        manual_seed(22);
        using var f = randn(2, 3);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("f64", f.to(ScalarType.Float64)),
            new("f32", f.clone()),
            new("f16", f.to(ScalarType.Float16)),
            new("bf16", f.to(ScalarType.BFloat16)),
            new("i64", tensor(new long[] { long.MinValue, -1, long.MaxValue })),
            new("i32", tensor(new int[] { int.MinValue, 7 })),
            new("i16", tensor(new short[] { short.MinValue, -2 }).reshape(1, 2)),
            new("i8", tensor(new sbyte[] { -128, 127 })),
            new("u8", tensor(new byte[] { 0, 255, 9 })),
            new("bool", tensor(new[] { true, false, true })),
            new("empty", zeros(0, 4)),
            new("scalar", tensor(3.5f)),
            new("strided", f.t()), // not contiguous: written in logical order
        };
        string path = dir.File("dtypes.safetensors");
        using (var stream = File.Create(path))
        {
            SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string> { ["k"] = "v" });
        }

        using var content = (SafetensorsContent)CheckpointContent.Open(path);
        Assert.Equal("v", content.Metadata["k"]);
        foreach ((string name, Tensor expected) in tensors)
        {
            StoredTensor stored = content.Tensors[name];
            using Tensor actual = empty(stored.Shape, stored.Type);
            TensorStreaming.ReadInto(content.Stream, stored, actual);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            using Tensor expectedContiguous = expected.contiguous();
            Assert.Equal(expectedContiguous.bytes.ToArray(), actual.bytes.ToArray());
        }

        foreach ((_, Tensor t) in tensors)
        {
            t.Dispose();
        }
    }

    [Fact]
    public void The_file_layout_follows_the_safetensors_spec_byte_by_byte()
    {
        using var dir = new TempDir();
        string path = dir.File("layout.safetensors");
        using Tensor a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(2, 3);
        using Tensor b = tensor(new long[] { 7, -8, 9 });
        using (var stream = File.Create(path))
        {
            SafetensorsWriter.Write(stream, [new("a", a), new("b", b)], new Dictionary<string, string> { ["format"] = "pt" });
        }

        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + (long)n) % 8); // the data starts 8-byte aligned
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.EndsWith("}", header.TrimEnd(' ')); // padding is spaces only
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8);
        JsonObject json = (JsonObject)JsonNode.Parse(header)!;
        Assert.Equal("pt", json["__metadata__"]!["format"]!.GetValue<string>());
        Assert.Equal("F32", json["a"]!["dtype"]!.GetValue<string>());
        Assert.Equal(new long[] { 2, 3 }, json["a"]!["shape"]!.AsArray().Select(x => x!.GetValue<long>()));
        Assert.Equal(new long[] { 0, 24 }, json["a"]!["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()));
        Assert.Equal("I64", json["b"]!["dtype"]!.GetValue<string>());
        Assert.Equal(new long[] { 24, 48 }, json["b"]!["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()));
        Assert.Equal(8 + (long)n + 48, bytes.Length);
        byte[] data = bytes[(8 + (int)n)..];
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(i + 1f, BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i)));
        }

        Assert.Equal(new long[] { 7, -8, 9 }, Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(24 + (8 * i)))));
    }

    [Fact]
    public void A_failure_between_write_and_rename_leaves_the_previous_checkpoint_loadable()
    {
        using var dir = new TempDir();
        string path = dir.File(Checkpoint.LatestFileName);
        manual_seed(23);
        using var model = new LinearBatchNorm();
        Dictionary<string, float[]> first = Snapshot(model);
        Checkpoint.Save(path, model, epoch: 1);
        using (no_grad())
        {
            model.state_dict()["linear.bias"].add_(1.0f);
        }

        string? temporary = null;
        CheckpointException error;
        using (AtomicFile.InjectBeforeRename(t =>
        {
            temporary = t;
            Assert.True(File.Exists(t));
            Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(t));
            throw new IOException("disk unplugged");
        }))
        {
            error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(path, model, epoch: 2));
        }

        Assert.Equal("disk unplugged", Assert.IsType<IOException>(error.InnerException).Message);
        Assert.Equal(path, error.FilePath);
        Assert.False(File.Exists(temporary));
        Assert.Equal(new[] { Checkpoint.LatestFileName }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal(1, Checkpoint.ReadInfo(path).Epoch);
        using var restored = new LinearBatchNorm();
        Checkpoint.LoadForInference(restored, path);
        AssertSame(first, Snapshot(restored));
    }
}
