using Ema.Samples.Training.FashionMnist;

namespace Ema.Samples.Tests;

/// <summary>A test that needs Fashion-MNIST (Debian's dataset-fashion-mnist, which .ci/run installs): skipped, with the reason, where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (FashionMnistData.Missing(FashionMnistData.DefaultDirectory) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A test that needs Fashion-MNIST and PyTorch (<c>/usr/bin/python3</c> importing torch): skipped, with the reason, where either is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class FashionMnistAndPyTorchFactAttribute : FactAttribute
{
    public FashionMnistAndPyTorchFactAttribute()
    {
        if ((FashionMnistData.Missing(FashionMnistData.DefaultDirectory) ?? PyTorchScript.Unavailable()) is { } reason)
        {
            Skip = reason;
        }
    }
}
