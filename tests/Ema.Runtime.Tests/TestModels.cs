using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>The module of the reference trajectories: nn.Linear(3, 4) as "linear", nn.BatchNorm1d(4) as "bn".</summary>
internal sealed class LinearBatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> linear;
    private readonly nn.Module<Tensor, Tensor> bn;

    public LinearBatchNorm()
        : base(nameof(LinearBatchNorm))
    {
        linear = nn.Linear(3, 4);
        bn = nn.BatchNorm1d(4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => bn.call(linear.call(input));
}

/// <summary>Helpers to set and read a module's tensors by state-dict name.</summary>
internal static class ModuleValues
{
    public static void Set(nn.Module module, string name, float[] values)
    {
        using var _ = no_grad();
        Tensor target = module.state_dict()[name];
        using Tensor source = tensor(values, target.shape, dtype: target.dtype);
        target.copy_(source);
    }

    public static float[] Get(Tensor tensor)
    {
        using Tensor asFloat = tensor.to(ScalarType.Float32).cpu().contiguous();
        return asFloat.data<float>().ToArray();
    }

    public static Dictionary<string, float[]> Snapshot(nn.Module module) =>
        module.state_dict().Where(p => p.Value.is_floating_point()).ToDictionary(p => p.Key, p => Get(p.Value));
}
