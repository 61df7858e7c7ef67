using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Cases;

/// <summary>
/// A module that only holds tensors of given shapes as parameters and buffers: the EMA sees exactly what it would
/// see in the real network, without building (and paying for) the network's layers.
/// </summary>
internal sealed class ShapeModule : nn.Module
{
    // nn.Module.Dispose releases parameters but not buffers; the buffers are ours, so we release them.
    private readonly List<Tensor> _buffers = [];

    public ShapeModule(IReadOnlyList<TensorSpec> specs, ScalarType floatingDtype, Generator generator)
        : base(nameof(ShapeModule))
    {
        using var noGrad = no_grad();
        foreach (TensorSpec spec in specs)
        {
            if (!spec.IsFloating)
            {
                Tensor counter = zeros(spec.Shape, ScalarType.Int64);
                _buffers.Add(counter);
                register_buffer(spec.Name, counter);
                continue;
            }

            // randn in float32 then a cast: the same values for the float32 and the bf16 cases.
            using Tensor values = randn(spec.Shape, ScalarType.Float32, generator: generator);
            Tensor data = values.to_type(floatingDtype, copy: true);
            if (spec.IsParameter)
            {
                register_parameter(spec.Name, nn.Parameter(data));
            }
            else
            {
                _buffers.Add(data);
                register_buffer(spec.Name, data);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            foreach (Tensor buffer in _buffers)
            {
                buffer.Dispose();
            }
        }
    }
}
