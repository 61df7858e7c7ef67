using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// .pth files both ways with a live PyTorch (skipped, with the reason, where <c>import torch</c> fails): Ema writes,
/// PyTorch loads through SuperGradients' path (sg_load.py) and matches; PyTorch writes afresh, Ema loads and matches.
/// </summary>
public sealed class PthRoundTripTests
{
    private static (LinearBatchNorm Model, ModelEma Ema) Trained(int seed)
    {
        using var generator = new Generator((ulong)seed);
        var model = new LinearBatchNorm();
        using (no_grad())
        {
            foreach ((_, Tensor t) in model.state_dict())
            {
                if (t.is_floating_point())
                {
                    using Tensor r = randn(t.shape, generator: generator);
                    t.copy_(r);
                }
            }
        }

        var ema = new ModelEma(model, new ExpEmaParams(decay: 0.9, beta: 5));
        for (long step = 1; step <= 3; step++)
        {
            using (no_grad())
            {
                foreach (Tensor p in model.parameters())
                {
                    p.add_(0.25);
                }
            }

            ema.Update(step, 10);
        }

        return (model, ema);
    }

    [PyTorchFact]
    public void PyTorch_loads_an_Ema_pth_through_SuperGradients_path_and_gets_the_EMA_weights()
    {
        using var dir = new TempDir();
        (LinearBatchNorm model, ModelEma ema) = Trained(seed: 5);
        using (model)
        using (ema)
        {
            using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
            string path = dir.File(Checkpoint.BestPthFileName);
            Checkpoint.Save(path, model, ema, optimizer, epoch: 3, globalStep: 30, bestMetric: 0.75);
            var result = (JsonObject)JsonNode.Parse(PyTorch.Run("sg_load.py", path))!;

            Dictionary<string, double[]> expected = PthFixtureTests.Values(ema.EmaWeights);
            PthFixtureTests.AssertValues((JsonObject)JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(expected))!, Values((JsonObject)result["values"]!));
            Assert.Equal(3, result["epoch"]!.GetValue<int>());
            Assert.Equal(0.75, result["acc"]!.GetValue<double>());
            Assert.Null(result["bad_crc_entry"]); // Python's zipfile verified every entry's CRC-32
            // Weights-only safe: the pickle names nothing beyond what torch.load(weights_only=True) allows.
            Assert.All(result["globals"]!.AsArray().Select(g => g!.GetValue<string>()), g => Assert.Contains(g, PickleReader.AllowedGlobals));
        }
    }

    [PyTorchFact]
    public void Ema_loads_a_checkpoint_PyTorch_writes_now_with_its_values()
    {
        using var dir = new TempDir();
        PyTorch.Run("make_fixtures.py", dir.Path);
        JsonObject expected = PthFixtureTests.Expected(dir.Path);
        using var model = new LinearBatchNorm();
        Assert.Equal("ema_net", Checkpoint.LoadForInference(model, dir.File("sg_full.pth")));
        PthFixtureTests.AssertValues((JsonObject)expected["ema_net"]!, PthFixtureTests.Values(model));
        Assert.Equal("net", Checkpoint.LoadForInference(model, dir.File("sg_no_ema.pth")));
        PthFixtureTests.AssertValues((JsonObject)expected["net"]!, PthFixtureTests.Values(model));
    }

    [Fact]
    public void An_Ema_pth_loads_back_into_Ema_exactly_and_names_only_allowed_globals()
    {
        using var dir = new TempDir();
        (LinearBatchNorm model, ModelEma ema) = Trained(seed: 6);
        using (model)
        using (ema)
        {
            string path = dir.File("model.pt");
            Checkpoint.Save(path, model, ema);
            using var loaded = new LinearBatchNorm();
            Assert.Equal("ema_net", Checkpoint.LoadForInference(loaded, path));
            Dictionary<string, double[]> emaValues = PthFixtureTests.Values(ema.EmaWeights);
            Assert.Equal(emaValues.OrderBy(p => p.Key).SelectMany(p => p.Value), PthFixtureTests.Values(loaded).OrderBy(p => p.Key).SelectMany(p => p.Value));
            Assert.Equal(new byte[] { (byte)'P', (byte)'K', 3, 4 }, File.ReadAllBytes(path)[..4]);
        }
    }

    private static Dictionary<string, double[]> Values(JsonObject values) =>
        values.ToDictionary(p => p.Key, p => p.Value!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
}
