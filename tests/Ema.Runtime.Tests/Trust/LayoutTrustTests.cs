using TorchSharp;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// A plain state dict whose model happens to have a submodule named <c>net</c> (or <c>ema_net</c>) is not Ema's
/// layout: read as Ema's, its other tensors (<c>head.*</c>) were silently left out and the rest renamed.
/// </summary>
public sealed class LayoutTrustTests
{
    private sealed class NetAndHead : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> net;
        private readonly nn.Module<Tensor, Tensor> head;

        public NetAndHead()
            : base(nameof(NetAndHead))
        {
            net = nn.Linear(3, 4);
            head = nn.Linear(4, 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => head.call(net.call(input));
    }

    /// <summary>What safetensors.torch.save_file(model.state_dict()) writes: the names at the root, no Ema metadata.</summary>
    internal static void SavePlainStateDict(nn.Module model, string path)
    {
        using FileStream stream = File.Create(path);
        SafetensorsWriter.Write(stream, [.. model.state_dict()], new Dictionary<string, string>(StringComparer.Ordinal));
    }

    [Fact]
    public void A_plain_safetensors_state_dict_with_a_net_submodule_is_read_whole()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "model.safetensors");
        using var source = new NetAndHead();
        SavePlainStateDict(source, path);

        using (CheckpointContent content = CheckpointContent.Open(path))
        {
            CheckpointLayout layout = CheckpointLayouts.Recognize(content);
            Assert.Equal(CheckpointLayouts.StateDict, layout.Name);
            Assert.Equal(["head.bias", "head.weight", "net.bias", "net.weight"], layout.Raw!.Read().Keys.Order(StringComparer.Ordinal));
        }

        using var loaded = new NetAndHead();
        Assert.Equal(CheckpointLayouts.RootRaw, Checkpoint.LoadForInference(loaded, path, CheckpointWeights.Raw));
        Assert.Equal(ModuleValues.Snapshot(source), ModuleValues.Snapshot(loaded));
    }

    [Fact]
    public void An_Ema_checkpoint_is_still_read_as_Ema_s_layout()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "ckpt.safetensors");
        using var model = new NetAndHead();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        Checkpoint.Save(path, model, ema);

        using CheckpointContent content = CheckpointContent.Open(path);
        CheckpointLayout layout = CheckpointLayouts.Recognize(content);
        Assert.Equal(CheckpointLayouts.Ema, layout.Name);
        Assert.Equal(["head.bias", "head.weight", "net.bias", "net.weight"], layout.Ema!.Read().Keys.Order(StringComparer.Ordinal));
    }
}

/// <summary>A directory given where a checkpoint file is expected is named as a directory, with the files it holds.</summary>
public sealed class DirectoryPathTests
{
    [Fact]
    public void A_directory_is_named_as_such_listing_its_weights_files()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "unet_ema");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        File.WriteAllBytes(Path.Combine(folder, "diffusion_pytorch_model.safetensors"), [0]);
        using var model = new LinearBatchNorm();

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, folder));

        // Before: "the file cannot be opened: Access to the path '...' is denied."
        Assert.DoesNotContain("denied", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
        Assert.Contains("diffusion_pytorch_model.safetensors", error.Message, StringComparison.Ordinal);
    }
}
