using System.Text.Json.Nodes;
using static Ema.Runtime.Tests.CliSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>The ema tool's commands, in-process (EmaApp.Run) and as a process, on the layout fixtures.</summary>
public sealed class CliCommandTests
{
    [Fact]
    public void Inspect_json_says_the_layout_the_weights_and_the_facts()
    {
        (int code, string output, string error) = InProcess("inspect", Fixture("timm_checkpoint.pth.tar"), "--json");
        Assert.True(code == 0, error);
        JsonNode json = JsonNode.Parse(output)!;
        Assert.Equal("pth", json["format"]!.GetValue<string>());
        Assert.Equal("timm", json["layout"]!.GetValue<string>());
        Assert.Equal("state_dict_ema", json["ema"]!["entry"]!.GetValue<string>());
        Assert.Equal("state_dict", json["raw"]!["entry"]!.GetValue<string>());
        Assert.Equal(7, json["ema"]!["tensors"]!.AsArray().Count);
        Assert.Equal(136, json["ema"]!["bytes"]!.GetValue<long>());
        Assert.Equal("[4,3]", json["ema"]!["tensors"]![0]!["shape"]!.ToJsonString());
        Assert.Equal("linear_bn", json["metadata"]!["arch"]!.GetValue<string>());
    }

    [Fact]
    public void Inspect_tables_name_the_absent_weights_and_why()
    {
        (int code, string output, _) = InProcess("inspect", Fixture("averaged_model.pth"));
        Assert.Equal(0, code);
        Assert.Contains("averaged-model", output, StringComparison.Ordinal);
        Assert.Contains("n_averaged", output, StringComparison.Ordinal);
        Assert.Contains("absent: an AveragedModel state dict holds the average only", output, StringComparison.Ordinal);
        Assert.Contains("bn.num_batches_tracked", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ckpt.safetensors", "safetensors")]
    [InlineData("ckpt.pth", "pth")]
    public void Inspect_shows_an_Ema_checkpoint_s_EMA_step_and_parameters(string name, string format)
    {
        using var dir = new TempDir();
        using (var model = new LinearBatchNorm())
        {
            using var ema = new ModelEma(model, new ExpEmaParams(decay: 0.99, beta: 15));
            for (long step = 1; step <= 3; step++)
            {
                ema.Update(step, 10);
            }

            Checkpoint.Save(dir.File(name), model, ema, epoch: 1, globalStep: 3);
        }

        (int code, string output, string error) = InProcess("inspect", dir.File(name), "--json");
        Assert.True(code == 0, error);
        JsonNode json = JsonNode.Parse(output)!;
        Assert.Equal(format, json["format"]!.GetValue<string>());
        Assert.Equal("ema/super-gradients", json["layout"]!.GetValue<string>());
        Assert.Equal("3", json["metadata"]!["ema_step"]!.GetValue<string>());
        Assert.Contains("\"decay\":0.99", json["metadata"]!["ema_params"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(136, json["ema"]!["bytes"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("timm_checkpoint.pth.tar", false, "ema", "ema.safetensors")]
    [InlineData("timm_checkpoint.pth.tar", true, "raw", "raw.pth")]
    [InlineData("lightning_ema.ckpt", false, "ema", "ema.pth")]
    [InlineData("averaged_model.pth", false, "ema", "ema.safetensors")]
    public void Extract_writes_a_plain_state_dict_that_loads_with_the_source_values(string file, bool raw, string expected, string output)
    {
        using var dir = new TempDir();
        string[] args = raw ? ["extract", Fixture(file), "-o", dir.File(output), "--raw"] : ["extract", Fixture(file), "-o", dir.File(output)];
        (int code, _, string error) = InProcess(args);
        Assert.True(code == 0, error);
        using var model = new LinearBatchNorm();
        Assert.Equal("net", Checkpoint.LoadForInference(model, dir.File(output), CheckpointWeights.Raw));
        AssertValues(Expected(expected), Values(model.state_dict()));
        Assert.DoesNotContain(Directory.GetFiles(dir.Path), f => !f.EndsWith(output, StringComparison.Ordinal)); // no temporary left behind
    }

    [Fact]
    public void Convert_writes_Ema_layout_with_both_sets()
    {
        using var dir = new TempDir();
        foreach (string output in new[] { "c.safetensors", "c.pth" })
        {
            Assert.Equal(0, InProcess("convert", Fixture("lightning_ema.ckpt"), dir.File(output)).Code);
            using var ema = new LinearBatchNorm();
            Assert.Equal("ema_net", Checkpoint.LoadForInference(ema, dir.File(output)));
            AssertValues(Expected("ema"), Values(ema.state_dict()));
            using var raw = new LinearBatchNorm();
            Assert.Equal("net", Checkpoint.LoadForInference(raw, dir.File(output), CheckpointWeights.Raw));
            AssertValues(Expected("raw"), Values(raw.state_dict()));
        }
    }

    [Theory]
    [InlineData(new[] { "extract", "ultralytics_last.pt", "-o", "out.safetensors" }, "[\"ema\"].float().state_dict()")]
    [InlineData(new[] { "extract", "averaged_model.pth", "-o", "out.safetensors", "--raw" }, "no raw weights: an AveragedModel state dict")]
    [InlineData(new[] { "extract", "timm_checkpoint.pth.tar", "-o", "out.txt" }, "must end in .safetensors, .pth or .pt")]
    [InlineData(new[] { "extract", "missing.pth", "-o", "out.pth" }, "the file does not exist")]
    [InlineData(new[] { "extract", "timm_checkpoint.pth.tar" }, "-o OUT is required")]
    [InlineData(new[] { "posthoc", "nowhere", "--sigma-rel", "0.05", "-o", "out.safetensors" }, "does not exist")]
    public void Bad_input_exits_non_zero_with_the_library_message_and_writes_nothing(string[] args, string message)
    {
        using var dir = new TempDir();
        string[] resolved = args.Select((a, i) => i == 1 ? Fixture(a) : a.StartsWith("out", StringComparison.Ordinal) ? dir.File(a) : a).ToArray();
        (int code, string output, string error) = InProcess(resolved);
        Assert.Equal(1, code);
        Assert.Contains(message, error + output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void As_a_process_the_tool_inspects_and_fails_with_exit_code_1()
    {
        (int code, string output, string error) = AsProcess("inspect", Fixture("nemo_model-EMA.ckpt"), "--json");
        Assert.True(code == 0, error);
        Assert.Equal("nemo-ema", JsonNode.Parse(output)!["layout"]!.GetValue<string>());

        (code, _, error) = AsProcess("extract", Fixture("diffusers_ema_state.pth"), "-o", Path.Combine(Path.GetTempPath(), "never.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("'shadow_params' is a list of tensors without names", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Posthoc_from_snapshots_alone_equals_the_synthesis_into_the_model()
    {
        using var dir = new TempDir();
        string snapshots = Path.Combine(dir.Path, "snapshots");
        WriteSnapshots(snapshots);

        (int code, _, string error) = InProcess("posthoc", snapshots, "--sigma-rel", "0.08", "--at-step", "6", "-o", dir.File("p.safetensors"));
        Assert.True(code == 0, error);
        using var fromTool = new LinearBatchNorm();
        Checkpoint.LoadForInference(fromTool, dir.File("p.safetensors"));
        using var fromModel = new LinearBatchNorm();
        PostHocEma.Synthesize(snapshots, 0.08, fromModel, atStep: 6);
        Assert.Equal(Values(fromModel.state_dict()), Values(fromTool.state_dict()));
    }
}
