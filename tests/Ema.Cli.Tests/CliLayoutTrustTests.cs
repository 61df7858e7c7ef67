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

/// <summary>A tensor the output format cannot hold is refused before anything is read or written, naming it.</summary>
public sealed class CliDtypeTests
{
    [Theory]
    [InlineData("extract")]
    [InlineData("convert")]
    public void A_complex_tensor_into_safetensors_is_refused_naming_it_and_pth_is_suggested(string command)
    {
        using var dir = new TempDir();
        string input = dir.File("complex.pth");
        using (Tensor complexTensor = complex(tensor(new float[] { 1, 2 }), tensor(new float[] { 3, 4 })))
        using (Tensor weight = ones(2))
        using (FileStream stream = File.Create(input))
        {
            PthWriter.Write(stream, [new("w", weight), new("rotation", complexTensor)]);
        }

        string output = dir.File("out.safetensors");
        string[] args = command == "extract" ? ["extract", input, "-o", output, "--raw"] : ["convert", input, output];

        // Before: an unhandled NotSupportedException with a stack trace (exit code 134), naming neither file nor tensor.
        (int code, _, string error) = InProcess(args);
        Assert.Equal(1, code);
        Assert.Contains("'rotation'", error, StringComparison.Ordinal);
        Assert.Contains("ComplexFloat32", error, StringComparison.Ordinal);
        Assert.Contains(".pth", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Equal([input], Directory.GetFiles(dir.Path));
    }
}

/// <summary>A set of weights with no tensors is not handed out as an (empty) state dict with exit code 0.</summary>
public sealed class CliEmptyWeightsTests
{
    [Fact]
    public void Extracting_an_empty_ema_net_is_refused_naming_the_entry()
    {
        using var dir = new TempDir();
        string input = dir.File("sg.pth");
        using (Tensor weight = ones(2))
        using (FileStream stream = File.Create(input))
        {
            PthWriter.Write(stream, [
                new(CheckpointKeys.Net, new List<KeyValuePair<string, Tensor>> { new("w", weight) }),
                new(CheckpointKeys.EmaNet, new List<KeyValuePair<string, Tensor>>()),
            ]);
        }

        string output = dir.File("ema.safetensors");
        (int code, string stdout, string error) = InProcess("extract", input, "-o", output);

        // Before: "wrote 0 tensors (0 B) of 'ema_net'", exit code 0.
        Assert.True(code == 1, stdout);
        Assert.Contains("'ema_net' holds no tensors", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
