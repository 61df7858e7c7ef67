using static TorchSharp.torch;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>
/// The Fashion-MNIST network: conv-BN-ReLU-pool twice, then two linear layers (about 0.2M parameters). Its
/// state-dict names are those of the same <c>nn.Sequential</c> in PyTorch (bench/fashion_mnist_peer.py), so weights
/// move between the two frameworks as <c>.pth</c> files.
/// </summary>
internal static class FashionCnn
{
    /// <summary>A new network with TorchSharp's default initialization (draws from the global generator).</summary>
    public static nn.Module<Tensor, Tensor> Create() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 16, 3, padding: 1)), ("bn1", nn.BatchNorm2d(16)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(16, 32, 3, padding: 1)), ("bn2", nn.BatchNorm2d(32)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 7 * 7, 128)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(128, FashionMnistData.Classes)));
}
