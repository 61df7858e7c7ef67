using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// <see cref="ModelEma.RecomputeBatchNorm"/> against PyTorch's own <c>torch.optim.swa_utils.update_bn</c>
/// (tests/reference/averaging_reference.py ran it on the same weights and batches), and its misuse.
/// </summary>
public sealed class RecomputeBatchNormTests
{
    private static readonly string[] Statistics = ["1.running_mean", "1.running_var"];

    public static TheoryData<string> EmaDtypes() => new() { "model's", "float64" };

    [Theory]
    [MemberData(nameof(EmaDtypes))]
    public void The_EMA_statistics_are_what_update_bn_computes_and_the_model_is_untouched(string emaDtype)
    {
        JsonElement reference = Reference();
        using nn.Module<Tensor, Tensor> model = NewModel();
        Fill(model, reference.GetProperty("model"));
        // float64 keeps the EMA apart from the model (copies swap in): the statistics must still reach the EMA.
        var options = new ModelEmaOptions { FloatingDtype = emaDtype == "float64" ? ScalarType.Float64 : null };
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9), options);
        ema.Load(Tensors(reference.GetProperty("ema")), 0);
        model.eval();
        Dictionary<string, float[]> modelBefore = ModuleValues.Snapshot(model);
        Dictionary<string, float[]> emaBefore = ema.EmaWeights.Where(p => p.Value.is_floating_point()).ToDictionary(p => p.Key, p => ModuleValues.Get(p.Value));
        Tensor[] batches = reference.GetProperty("batches").EnumerateArray().Select(Batch).ToArray();

        ema.RecomputeBatchNorm(batches);

        JsonElement expected = reference.GetProperty("expected");
        foreach (string name in Statistics)
        {
            float[] actual = ModuleValues.Get(ema.EmaWeights[name]);
            float[] wanted = expected.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Assert.NotEqual(emaBefore[name], actual);
            AveragingReferenceTests.AssertClose(wanted, actual, name);
        }

        Assert.Equal(expected.GetProperty("1.num_batches_tracked").GetInt64(), ema.EmaWeights["1.num_batches_tracked"].item<long>());
        foreach (string name in emaBefore.Keys.Except(Statistics))
        {
            Assert.Equal(emaBefore[name], ModuleValues.Get(ema.EmaWeights[name]));
        }

        Assert.Equal(modelBefore, ModuleValues.Snapshot(model));
        Assert.Equal(7, model.state_dict()["1.num_batches_tracked"].item<long>());
        Assert.False(model.training);
        Assert.Equal(0.1, ((TorchSharp.Modules.BatchNorm1d)model.children().ElementAt(1)).momentum);
    }

    [Fact]
    public void No_batches_is_an_error_and_changes_nothing()
    {
        using nn.Module<Tensor, Tensor> model = NewModel();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9));
        float[] before = ModuleValues.Get(ema.EmaWeights["1.running_var"]);
        ModuleValues.Set(model, "1.running_var", [2f, 3f, 4f, 5f]);

        var error = Assert.Throws<ArgumentException>(() => ema.RecomputeBatchNorm([]));

        Assert.Contains("no batches", error.Message);
        Assert.Equal(before, ModuleValues.Get(ema.EmaWeights["1.running_var"]));
    }

    [Fact]
    public void A_model_without_BatchNorm_is_an_error()
    {
        using var model = nn.Linear(3, 2);
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9));

        var error = Assert.Throws<ArgumentException>(() => ema.RecomputeBatchNorm([randn(2, 3)]));

        Assert.Contains("no BatchNorm", error.Message);
    }

    [Fact]
    public void A_statistic_left_out_of_the_EMA_is_an_error()
    {
        using nn.Module<Tensor, Tensor> model = NewModel();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9), new ModelEmaOptions { Exclude = EmaExclude.Names("1.running_mean") });

        var error = Assert.Throws<ArgumentException>(() => ema.RecomputeBatchNorm([randn(4, 3)]));

        Assert.Contains("'1.running_mean'", error.Message);
    }

    [Fact]
    public void A_failing_forward_puts_the_EMA_statistics_back()
    {
        using nn.Module<Tensor, Tensor> model = NewModel();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.9));
        float[] before = ModuleValues.Get(ema.EmaWeights["1.running_mean"]);

        Assert.ThrowsAny<Exception>(() => ema.RecomputeBatchNorm([randn(4, 3), randn(4, 5)]));

        Assert.Equal(before, ModuleValues.Get(ema.EmaWeights["1.running_mean"]));
        Assert.False(ema.IsEmaInModel);
    }

    internal static nn.Module<Tensor, Tensor> NewModel() =>
        nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2));

    private static JsonElement Reference()
    {
        using JsonDocument document = ReferenceData.Load("averaging_reference.json");
        return document.RootElement.GetProperty("update_bn").Clone();
    }

    private static void Fill(nn.Module model, JsonElement values)
    {
        using var _ = no_grad();
        foreach ((string name, Tensor target) in model.state_dict())
        {
            using Tensor source = Tensors(values)[name];
            target.copy_(source);
        }
    }

    private static Dictionary<string, Tensor> Tensors(JsonElement values) =>
        values.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Number
            ? tensor(p.Value.GetInt64())
            : p.Value.EnumerateArray().First().ValueKind == JsonValueKind.Array
                ? tensor(p.Value.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => (float)v.GetDouble()).ToArray(),
                    [p.Value.GetArrayLength(), p.Value[0].GetArrayLength()])
                : tensor(p.Value.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()));

    private static Tensor Batch(JsonElement rows) =>
        tensor(rows.EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => (float)v.GetDouble()).ToArray(), [rows.GetArrayLength(), 3]);
}
