using static Ema.Runtime.Tests.CliSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>The tool hands out every tensor of a plain state dict, whatever its submodules are called.</summary>
public sealed class CliLayoutTrustTests
{
    [Fact]
    public void Extract_and_convert_keep_every_tensor_of_a_plain_state_dict_with_a_net_submodule()
    {
        using var dir = new TempDir();
        string input = dir.File("model.safetensors");
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("net.0.weight", arange(6, ScalarType.Float32).reshape(2, 3)),
            new("net.0.bias", tensor(new float[] { 7, 8 })),
            new("head.weight", tensor(new float[] { 9, 10 }).reshape(1, 2)),
        };
        using (FileStream stream = File.Create(input))
        {
            SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        // Read as Ema's layout, 'head.weight' was dropped and the rest renamed '0.weight', '0.bias', with exit code 0.
        (int code, _, string error) = InProcess("extract", input, "-o", dir.File("raw.safetensors"), "--raw");
        Assert.True(code == 0, error);
        using (CheckpointContent written = CheckpointContent.Open(dir.File("raw.safetensors")))
        {
            Dictionary<string, StoredTensor> stored = written.StateDictAt(null);
            Assert.Equal(tensors.Select(p => p.Key).Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        }

        (code, _, error) = InProcess("convert", input, dir.File("ema.pth"));
        Assert.True(code == 0, error);
        using (CheckpointContent converted = CheckpointContent.Open(dir.File("ema.pth")))
        {
            Assert.Equal(tensors.Select(p => p.Key).Order(StringComparer.Ordinal), converted.Section(CheckpointKeys.Net).Keys.Order(StringComparer.Ordinal));
        }

        Ema.Cli.WeightsFile.Dispose(tensors);
    }
}
