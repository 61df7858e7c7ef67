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
        string path = SparseFourGigabytes(dir.File("huge.safetensors"), "net.evil");

        using var model = new LinearBatchNorm();
        Dictionary<string, float[]> before = Snapshot(model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, path));
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));

        // The same refusal when the one tensor has a model name but not its shape.
        string other = SparseFourGigabytes(dir.File("misfit.safetensors"), "net.linear.weight");

        e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, other));
        // Every misfit at once (the other six tensors are missing), so no single TensorName.
        Assert.Contains("'net.linear.weight': its shape [1073741824]", e.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));
    }

    /// <summary>A safetensors file whose one F32 tensor claims 4 GB; sparse: no data is written, none may be read.</summary>
    private static string SparseFourGigabytes(string path, string name)
    {
        const long size = 4L << 30;
        byte[] header = Encoding.UTF8.GetBytes($$$"""{"{{{name}}}":{"dtype":"F32","shape":[{{{size / 4}}}],"data_offsets":[0,{{{size}}}]}}""");
        using var stream = new FileStream(path, FileMode.CreateNew);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        stream.SetLength(8 + header.Length + size);
        return path;
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
