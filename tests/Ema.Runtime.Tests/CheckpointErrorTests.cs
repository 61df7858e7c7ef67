using static TorchSharp.torch;
using static Ema.Runtime.Tests.PthFixtureTests;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>Errors a user can act on: what the file holds instead, which format it is, every misfit at once, the file at fault.</summary>
public sealed class CheckpointErrorTests
{
    /// <summary>Another tool's checkpoint dict (no net / ema_net, not a state dict) is refused with its top-level keys listed.</summary>
    [Fact]
    public void A_pth_without_net_or_ema_net_lists_its_top_level_keys()
    {
        using var model = new LinearBatchNorm();
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, Fixture("other_tool_dict.pth")));
        // The layout recognizer (one place) lists what the file holds and the layouts Ema reads.
        Assert.Contains("a dict whose layout Ema does not know", e.Message, StringComparison.Ordinal);
        Assert.Contains("net/ema_net", e.Message, StringComparison.Ordinal);
        Assert.Contains("'model' (a state dict of 7 tensors)", e.Message, StringComparison.Ordinal);
        Assert.Contains("'epoch' (4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("'optimizer' (a dict of 2 entries)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_written_by_TorchSharp_Module_save_is_named_as_such()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        string path = dir.File("model.dat");
        model.save(path);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(new LinearBatchNorm(), path));
        Assert.Contains("TorchSharp's Module.save", e.Message, StringComparison.Ordinal);
        Assert.Contains("module.load(path)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("header length", e.Message, StringComparison.Ordinal);

        // A safetensors checkpoint is still read as one.
        Checkpoint.Save(dir.File("ckpt.safetensors"), model);
        Assert.Equal("net", Checkpoint.LoadForInference(new LinearBatchNorm(), dir.File("ckpt.safetensors")));
    }

    /// <summary>A model of other shapes and names: linear is 3 -> 5 (two shape misfits), extra is new (two missing), bn is gone (five unexpected).</summary>
    private sealed class OtherModel : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> linear = nn.Linear(3, 5);
        private readonly nn.Module<Tensor, Tensor> extra = nn.Linear(2, 2);

        public OtherModel()
            : base(nameof(OtherModel)) => RegisterComponents();

        public override Tensor forward(Tensor input) => extra.forward(linear.forward(input));
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pth")]
    public void A_model_that_does_not_fit_hears_of_every_missing_unexpected_and_misfit_tensor_at_once(string extension)
    {
        using var dir = new TempDir();
        string path = dir.File("ckpt" + extension);
        using (var saved = new LinearBatchNorm())
        {
            Checkpoint.Save(path, saved);
        }

        using var model = new OtherModel();
        Dictionary<string, float[]> before = Snapshot(model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, path));
        Assert.Contains("(9 tensors)", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing from the checkpoint: net.extra.weight, net.extra.bias", e.Message, StringComparison.Ordinal);
        foreach (string name in new[] { "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked" })
        {
            Assert.Contains("net." + name, e.Message, StringComparison.Ordinal);
        }

        Assert.Contains("'net.linear.weight': its shape [4, 3] does not match the model's [5, 3]", e.Message, StringComparison.Ordinal);
        Assert.Contains("'net.linear.bias': its shape [4] does not match the model's [5]", e.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));
    }

    [Fact]
    public void Damaged_ema_params_metadata_on_resume_is_a_CheckpointException_naming_the_file()
    {
        var trainingParams = new TrainingParams { MaxEpochs = 2, InitialLr = 0.05, Ema = true, EmaParams = new ExpEmaParams(decay: 0.9, beta: 5) };
        List<(Tensor, Tensor)> data = Batches(2, seed: 41);
        using var dir = new TempDir();
        using (var model = new LinearBatchNorm())
        using (var trainer = new Trainer(model, Mse, trainingParams with { MaxEpochs = 1 }, optim.SGD(model.parameters(), 0.05), new TrainerOptions { CheckpointDirectory = dir.Path }))
        {
            trainer.Train(data, data);
        }

        string latest = dir.File(Checkpoint.LatestFileName);
        (var header, byte[] body) = Split(latest);
        header["__metadata__"]!["ema_params"] = "{\"decay_type\": \"exp\", \"decay\": 7";
        WriteRaw(latest, header.ToJsonString(), body);

        using var resumed = new LinearBatchNorm();
        using (var trainer = new Trainer(resumed, Mse, trainingParams, optim.SGD(resumed.parameters(), 0.05), new TrainerOptions { CheckpointDirectory = dir.Path, Resume = true }))
        {
            var e = Assert.Throws<CheckpointException>(() => trainer.Train(data, data));
            Assert.Equal(latest, e.FilePath);
            Assert.Contains("'ema_params'", e.Message, StringComparison.Ordinal);
            Assert.Contains("damaged", e.Message, StringComparison.Ordinal);
        }

        Dispose(data);
    }

    [Theory]
    [InlineData(".safetensors", 'a')]
    [InlineData(".pth", 'a')]
    [InlineData(".safetensors", 'é')] // two UTF-8 bytes a character: the limit is in bytes
    public void A_checkpoint_name_at_the_file_system_limit_can_be_saved(string extension, char filler)
    {
        using var dir = new TempDir();
        int fillerBytes = System.Text.Encoding.UTF8.GetByteCount(filler.ToString());
        string name = new string(filler, (AtomicFile.MaxNameBytes - extension.Length) / fillerBytes) + extension;
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(name) <= AtomicFile.MaxNameBytes);
        using var model = new LinearBatchNorm();
        string path = dir.File(name);
        Checkpoint.Save(path, model, epoch: 2);
        Checkpoint.Save(path, model, epoch: 3); // replacing it too
        Assert.Equal(3, Checkpoint.ReadInfo(path).Epoch);
        Assert.Equal([name], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}
