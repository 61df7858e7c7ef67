using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// Checkpoints written by PyTorch (tests/fixtures/pth, made by make_fixtures.py with Debian's torch 1.13), loaded
/// through the public entry points and compared with the values the script recorded in expected.json.
/// </summary>
public sealed class PthFixtureTests
{
    private static readonly string s_directory = Path.Combine(Ema.Testing.RepositoryRoot.Find(), "tests", "fixtures", "pth");

    internal static string Fixture(string name) => Path.Combine(s_directory, name);

    internal static JsonObject Expected(string directory) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "expected.json")))!;

    /// <summary>The model's state as float64 values, per state-dict name.</summary>
    internal static Dictionary<string, double[]> Values(nn.Module model) => Values(model.state_dict());

    /// <summary>Tensors as float64 values, per name.</summary>
    internal static Dictionary<string, double[]> Values(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(p => p.Key, p => { using Tensor d = p.Value.to(ScalarType.Float64).flatten(); return d.data<double>().ToArray(); });

    internal static void AssertValues(JsonObject expected, Dictionary<string, double[]> actual)
    {
        Assert.Equal(expected.Select(p => p.Key).Order(), actual.Keys.Order());
        foreach ((string name, JsonNode? values) in expected)
        {
            Assert.Equal(values!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), actual[name]);
        }
    }

    [Theory]
    [InlineData("sg_full.pth", "ema_net")]
    [InlineData("sg_no_ema.pth", "net")]
    [InlineData("sg_module_prefix.pth", "ema_net")]
    [InlineData("weights_only_net.pth", "net")]
    [InlineData("bare_state_dict.pth", "net")]
    [InlineData("numpy_acc.pth", "ema_net")]
    public void A_PyTorch_checkpoint_loads_for_inference_with_the_recorded_values(string file, string source)
    {
        using var model = new LinearBatchNorm();
        Assert.Equal(source, Checkpoint.LoadForInference(model, Fixture(file)));
        AssertValues((JsonObject)Expected(s_directory)[source]!, Values(model));
    }

    [Fact]
    public void The_format_is_told_by_content_not_by_name()
    {
        using var dir = new TempDir();
        string disguised = dir.File("ckpt.safetensors");
        File.Copy(Fixture("sg_full.pth"), disguised);
        using var model = new LinearBatchNorm();
        Assert.Equal("ema_net", Checkpoint.LoadForInference(model, disguised));
        AssertValues((JsonObject)Expected(s_directory)["ema_net"]!, Values(model));

        string safetensorsAsPth = dir.File("ckpt.pth");
        Checkpoint.Save(dir.File("real.safetensors"), model);
        File.Copy(dir.File("real.safetensors"), safetensorsAsPth);
        using var other = new LinearBatchNorm();
        Assert.Equal("net", Checkpoint.LoadForInference(other, safetensorsAsPth));
        Assert.Equal(Values(model).Values.SelectMany(v => v), Values(other).Values.SelectMany(v => v));
    }

    [Fact]
    public void ReadInfo_takes_SuperGradients_epoch_and_acc()
    {
        CheckpointInfo info = Checkpoint.ReadInfo(Fixture("sg_full.pth"));
        JsonObject expected = Expected(s_directory);
        Assert.Equal(expected["epoch"]!.GetValue<int>(), info.Epoch);
        Assert.Equal(expected["acc"]!.GetValue<double>(), info.BestMetric);
        Assert.True(info.HasEma);
        Assert.False(Checkpoint.ReadInfo(Fixture("sg_no_ema.pth")).HasEma);
    }

    [Fact]
    public void Every_dtype_and_a_storage_offset_read_exactly()
    {
        JsonObject expected = (JsonObject)Expected(s_directory)["dtypes"]!;
        Dictionary<string, Tensor> tensors = ReadTensors(Fixture("dtypes.pth"));
        try
        {
            Assert.Equal(expected.Select(p => "net." + p.Key).Order(), tensors.Keys.Order());
            foreach ((string name, JsonNode? values) in expected)
            {
                Tensor t = tensors["net." + name];
                if (t.is_floating_point())
                {
                    using Tensor d = t.to(ScalarType.Float64).flatten();
                    Assert.Equal(values!.AsArray().Select(v => v!.GetValue<double>()), d.data<double>().ToArray());
                }
                else
                {
                    using Tensor l = t.to(ScalarType.Int64).flatten();
                    Assert.Equal(values!.AsArray().Select(v => v!.GetValue<long>()), l.data<long>().ToArray());
                }
            }

            Assert.Equal(ScalarType.BFloat16, tensors["net.bf16"].dtype);
            Assert.Equal(new long[] { 0, 3 }, tensors["net.empty"].shape);
            Assert.Empty(tensors["net.scalar"].shape);
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void The_legacy_format_is_refused_with_how_to_resave_it()
    {
        using var model = new LinearBatchNorm();
        Dictionary<string, double[]> before = Values(model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, Fixture("legacy.pth")));
        Assert.Contains("legacy", e.Message, StringComparison.Ordinal);
        Assert.Contains("torch.save(torch.load(", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Values(model));
    }

    [Fact]
    public void A_forbidden_global_in_a_read_entry_is_refused_by_name_and_nothing_changes()
    {
        using var model = new LinearBatchNorm();
        Dictionary<string, double[]> before = Values(model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, Fixture("hostile_in_net.pth")));
        Assert.Contains("'posix.system'", e.Message, StringComparison.Ordinal);
        Assert.Contains("net.bn.weight", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Values(model));
    }
}
