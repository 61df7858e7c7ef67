using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// An Ema .pth read by an independent .NET reader, TorchSharp.PyBridge's unpickler: it runs everywhere (also where
/// PyTorch is absent), so the file format is checked against a second implementation on every CI run.
/// </summary>
public sealed class PthPyBridgeTests
{
    [Fact]
    public void TorchSharp_PyBridge_reads_net_and_ema_net_of_an_Ema_pth()
    {
        using var dir = new TempDir();
        manual_seed(21);
        using var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        using (no_grad())
        {
            foreach (Tensor p in model.parameters())
            {
                p.mul_(3.0f);
            }
        }

        ema.Update(1, 1);
        string path = dir.File("ckpt.pth");
        Checkpoint.Save(path, model, ema, epoch: 2, globalStep: 8, bestMetric: 0.5);

        Hashtable checkpoint = PyTorchUnpickler.UnpickleStateDict(path);
        foreach ((string key, IReadOnlyDictionary<string, Tensor> expected) in new[] { ("net", (IReadOnlyDictionary<string, Tensor>)model.state_dict()), ("ema_net", ema.EmaWeights) })
        {
            var section = (IDictionary)checkpoint[key]!;
            Assert.Equal(expected.Keys.Order(), section.Keys.Cast<string>().Order());
            foreach ((string name, Tensor tensor) in expected)
            {
                var read = (Tensor)section[name]!;
                Assert.Equal(tensor.dtype, read.dtype);
                Assert.Equal(tensor.shape, read.shape);
                using Tensor same = read.eq(tensor).all();
                Assert.True(same.item<bool>(), $"{key}.{name}");
            }
        }

        Assert.Equal(2, Convert.ToInt32(checkpoint["epoch"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0.5, Convert.ToDouble(checkpoint["acc"], System.Globalization.CultureInfo.InvariantCulture));
    }
}
