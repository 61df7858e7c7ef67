using System.Text.Json.Nodes;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// The field's checkpoint layouts (tests/fixtures/layouts, made by make_layout_fixtures.py): each loads the EMA and
/// the raw weights it holds, by <see cref="CheckpointWeights"/>, and refuses what it lacks with a message saying
/// what the file holds. Where PyTorch is installed the fixtures are made afresh by the script, so that the test
/// follows what real torch.save writes; elsewhere the checked-in files are read.
/// </summary>
public sealed class LayoutFixtureTests : IDisposable
{
    private static readonly string s_checkedIn = Path.Combine(Ema.Testing.RepositoryRoot.Find(), "tests", "fixtures", "layouts");
    private readonly TempDir? _fresh;
    private readonly string _directory;

    public LayoutFixtureTests()
    {
        if (PyTorch.Unavailable is null)
        {
            _fresh = new TempDir();
            PyTorch.RunIn("layouts", "make_layout_fixtures.py", _fresh.Path);
            _directory = _fresh.Path;
        }
        else
        {
            _directory = s_checkedIn;
        }
    }

    public void Dispose() => _fresh?.Dispose();

    private string Fixture(string name) => Path.Combine(_directory, name);

    private JsonObject Expected(string which) => (JsonObject)PthFixtureTests.Expected(_directory)[which]!;

    [Theory]
    [InlineData("timm_checkpoint.pth.tar", CheckpointWeights.PreferEma, "state_dict_ema", "ema")]
    [InlineData("timm_checkpoint.pth.tar", CheckpointWeights.Ema, "state_dict_ema", "ema")]
    [InlineData("timm_checkpoint.pth.tar", CheckpointWeights.Raw, "state_dict", "raw")]
    [InlineData("timm_no_ema.pth.tar", CheckpointWeights.PreferEma, "state_dict", "raw")]
    [InlineData("timm_no_ema.pth.tar", CheckpointWeights.Raw, "state_dict", "raw")]
    [InlineData("averaged_model.pth", CheckpointWeights.PreferEma, "module", "ema")]
    [InlineData("averaged_model.pth", CheckpointWeights.Ema, "module", "ema")]
    [InlineData("lightning_ema.ckpt", CheckpointWeights.PreferEma, "state_dict", "ema")]
    [InlineData("lightning_ema.ckpt", CheckpointWeights.Ema, "state_dict", "ema")]
    [InlineData("lightning_ema.ckpt", CheckpointWeights.Raw, "current_model_state", "raw")]
    [InlineData("lightning_plain.ckpt", CheckpointWeights.PreferEma, "state_dict", "raw")]
    [InlineData("lightning_plain.ckpt", CheckpointWeights.Raw, "state_dict", "raw")]
    [InlineData("nemo_model-EMA.ckpt", CheckpointWeights.Ema, "state_dict", "ema")]
    [InlineData("nemo_model.ckpt", CheckpointWeights.Raw, "state_dict", "raw")]
    [InlineData("diffusers_unet_ema/diffusion_pytorch_model.safetensors", CheckpointWeights.Ema, "ema_net", "ema")]
    [InlineData("plain.safetensors", CheckpointWeights.PreferEma, "net", "raw")]
    [InlineData("plain.safetensors", CheckpointWeights.Raw, "net", "raw")]
    public void Each_layout_loads_the_weights_asked_for(string file, CheckpointWeights weights, string key, string expected)
    {
        using var model = new LinearBatchNorm();
        Assert.Equal(key, Checkpoint.LoadForInference(model, Fixture(file), weights));
        PthFixtureTests.AssertValues(Expected(expected), PthFixtureTests.Values(model));
    }

    [Theory]
    [InlineData("timm_no_ema.pth.tar", CheckpointWeights.Ema, "no 'state_dict_ema'")]
    [InlineData("averaged_model.pth", CheckpointWeights.Raw, "AveragedModel state dict holds the average only")]
    [InlineData("lightning_plain.ckpt", CheckpointWeights.Ema, "Lightning checkpoint without EMA weights")]
    [InlineData("nemo_model-EMA.ckpt", CheckpointWeights.Raw, "'nemo_model.ckpt' beside it")]
    [InlineData("plain.safetensors", CheckpointWeights.Ema, "nothing in it says they are an EMA")]
    [InlineData("ultralytics_last.pt", CheckpointWeights.PreferEma, "[\"ema\"].float().state_dict()")]
    [InlineData("ultralytics_last.pt", CheckpointWeights.Raw, "'ultralytics.nn.tasks.DetectionModel'")]
    [InlineData("diffusers_ema_state.pth", CheckpointWeights.Ema, "'shadow_params' is a list of tensors without names")]
    public void What_a_layout_lacks_is_refused_saying_what_the_file_holds(string file, CheckpointWeights weights, string message)
    {
        using var model = new LinearBatchNorm();
        Dictionary<string, double[]> before = PthFixtureTests.Values(model);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, Fixture(file), weights));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(file.Split('/')[^1], error.Message, StringComparison.Ordinal);
        Assert.Equal(before.Values.SelectMany(v => v), PthFixtureTests.Values(model).Values.SelectMany(v => v));
    }

    [Fact]
    public void The_layout_is_told_by_content_facts_included()
    {
        CheckpointLayout Recognize(string file)
        {
            using CheckpointContent content = CheckpointContent.Open(Fixture(file));
            return CheckpointLayouts.Recognize(content);
        }

        Assert.Equal(CheckpointLayouts.Timm, Recognize("timm_checkpoint.pth.tar").Name);
        Assert.Equal("linear_bn", Recognize("timm_checkpoint.pth.tar").Facts["arch"]);
        CheckpointLayout averaged = Recognize("averaged_model.pth");
        Assert.Equal(CheckpointLayouts.AveragedModel, averaged.Name);
        Assert.Equal(PthFixtureTests.Expected(_directory)["n_averaged"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture), averaged.Facts["n_averaged"]);
        Assert.Equal(CheckpointLayouts.LightningWeightAveraging, Recognize("lightning_ema.ckpt").Name);
        Assert.Equal("4", Recognize("lightning_ema.ckpt").Facts["n_averaged"]);
        Assert.Equal(CheckpointLayouts.DiffusersEma, Recognize("diffusers_unet_ema/diffusion_pytorch_model.safetensors").Name);
        Assert.Equal("4", Recognize("diffusers_unet_ema/diffusion_pytorch_model.safetensors").Facts["optimization_step"]);
        // An Ultralytics file pickles whole modules: the weights-only reader refuses it while unpickling, before any
        // layout is recognized, and the refusal says how to convert it.
        CheckpointException ultralytics = Assert.Throws<CheckpointException>(() => Recognize("ultralytics_last.pt"));
        Assert.Contains("[\"ema\"].float().state_dict()", ultralytics.Message, StringComparison.Ordinal);
        Assert.Equal(CheckpointLayouts.StateDict, Recognize("plain.safetensors").Name);

        // A timm checkpoint renamed like Ema's is still timm's: the name plays no part.
        using var dir = new TempDir();
        File.Copy(Fixture("timm_checkpoint.pth.tar"), dir.File("ckpt_best.safetensors"));
        using var model = new LinearBatchNorm();
        Assert.Equal("state_dict_ema", Checkpoint.LoadForInference(model, dir.File("ckpt_best.safetensors")));
    }

    [Fact]
    public void A_dict_of_no_known_layout_is_refused_listing_its_entries()
    {
        using var dir = new TempDir();
        string path = dir.File("odd.pth");
        using (var model = new LinearBatchNorm())
        {
            using FileStream stream = File.Create(path);
            PthWriter.Write(stream, [new("weights_here", model.state_dict().ToList()), new("step", 3L)]);
        }

        using var target = new LinearBatchNorm();
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(target, path));
        Assert.Contains("'weights_here' (a state dict of 7 tensors)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'step' (3)", error.Message, StringComparison.Ordinal);
    }
}
