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
            // Weights-only safe: the pickle names nothing beyond PyTorch's own default allow-list (Ema's reader allows
            // more inert types, for reading other tools' files; its writer uses none of them).
            Assert.All(result["globals"]!.AsArray().Select(g => g!.GetValue<string>()),
                g => Assert.True(g is "collections.OrderedDict" or "torch._utils._rebuild_tensor_v2" || (g.StartsWith("torch.", StringComparison.Ordinal) && g.EndsWith("Storage", StringComparison.Ordinal)), g));
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

    /// <summary>
    /// docs/checkpoints.md's claim, checked against the installed PyTorch: an Ema .pth loads with weights_only=True,
    /// except that PyTorch before 2.0 has no float opcode (BINFLOAT) in its weights-only unpickler, so 1.13 refuses the
    /// float <c>acc</c> (written when a best metric is given) and loads the same file without it.
    /// </summary>
    [PyTorchFact]
    public void PyTorch_weights_only_load_accepts_an_Ema_pth_as_the_docs_say_for_its_version()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ExpEmaParams(decay: 0.9, beta: 5));
        string withoutAcc = dir.File("no_acc.pth");
        string withAcc = dir.File("acc.pth");
        Checkpoint.Save(withoutAcc, model, ema, epoch: 2, globalStep: 20);
        Checkpoint.Save(withAcc, model, ema, epoch: 2, globalStep: 20, bestMetric: 0.75);

        var plain = (JsonObject)JsonNode.Parse(PyTorch.Run("weights_only_load.py", withoutAcc))!;
        Assert.Equal("ok", plain["outcome"]!.GetValue<string>());
        var metric = (JsonObject)JsonNode.Parse(PyTorch.Run("weights_only_load.py", withAcc))!;
        bool before2 = int.Parse(metric["torch"]!.GetValue<string>().Split('.')[0], System.Globalization.CultureInfo.InvariantCulture) < 2;
        if (before2)
        {
            Assert.Contains("Unsupported operand 71", metric["outcome"]!.GetValue<string>(), StringComparison.Ordinal); // 71 = 'G', BINFLOAT
        }
        else
        {
            Assert.Equal("ok", metric["outcome"]!.GetValue<string>());
        }
    }
}
