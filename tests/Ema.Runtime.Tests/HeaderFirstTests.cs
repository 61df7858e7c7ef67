using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>A file that does not fit the model is refused from its header alone, before any tensor data is read.</summary>
public sealed class HeaderFirstTests
{
    [Fact]
    public void A_4_GB_tensor_that_is_not_the_models_is_refused_without_reading_it()
    {
        using var dir = new TempDir();
        string path = dir.File("huge.safetensors");
        const long size = 4L << 30;
        byte[] header = Encoding.UTF8.GetBytes($$$"""{"net.evil":{"dtype":"F32","shape":[{{{size / 4}}}],"data_offsets":[0,{{{size}}}]}}    """);
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            stream.SetLength(8 + header.Length + size); // sparse: no data is written, none may be read
        }

        using var model = new LinearBatchNorm();
        Dictionary<string, float[]> before = Snapshot(model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, path));
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));

        // The same refusal when the one tensor has a model name but not its shape.
        byte[] misfit = Encoding.UTF8.GetBytes($$$"""{"net.linear.weight":{"dtype":"F32","shape":[{{{size / 4}}}],"data_offsets":[0,{{{size}}}]}}""");
        string other = dir.File("misfit.safetensors");
        using (var stream = new FileStream(other, FileMode.CreateNew))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)misfit.Length);
            stream.Write(length);
            stream.Write(misfit);
            stream.SetLength(8 + misfit.Length + size);
        }

        e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, other));
        Assert.Equal("net.linear.weight", e.TensorName);
        Assert.Contains("shape", e.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));
    }

    [Fact]
    public void A_bf16_model_loads_a_float32_pth_through_the_staging_buffer()
    {
        using var dir = new TempDir();
        using var source = new LinearBatchNorm();
        string path = dir.File("f32.pth");
        Checkpoint.Save(path, source);
        using var target = new LinearBatchNorm();
        target.to(ScalarType.BFloat16);
        Assert.Equal("net", Checkpoint.LoadForInference(target, path));
        foreach ((string name, Tensor expected) in source.state_dict())
        {
            using Tensor converted = expected.to(target.state_dict()[name].dtype);
            using Tensor same = converted.eq(target.state_dict()[name]).all();
            Assert.True(same.item<bool>(), name);
        }
    }
}
