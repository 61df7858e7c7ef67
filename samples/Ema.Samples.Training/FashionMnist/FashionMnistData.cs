using static TorchSharp.torch;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>
/// Fashion-MNIST (60,000 training and 10,000 test images, 28x28, 10 classes) from the folder Debian's
/// <c>dataset-fashion-mnist</c> installs, as float32 tensors [N, 1, 28, 28] with the data set's usual normalization.
/// Nothing is downloaded.
/// </summary>
internal sealed class FashionMnistData : IDisposable
{
    /// <summary>Where Debian's package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The command that installs the data.</summary>
    public const string InstallCommand = "sudo apt-get install dataset-fashion-mnist";

    public const int Classes = 10;

    /// <summary>The training images' mean and standard deviation of pixels scaled to [0, 1] (the usual constants).</summary>
    public const float Mean = 0.2860f, Std = 0.3530f;

    private static readonly string[] Files =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    private FashionMnistData(Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels)
    {
        (TrainImages, TrainLabels, TestImages, TestLabels) = (trainImages, trainLabels, testImages, testLabels);
    }

    public Tensor TrainImages { get; }

    public Tensor TrainLabels { get; }

    public Tensor TestImages { get; }

    public Tensor TestLabels { get; }

    public long TrainCount => TrainImages.shape[0];

    /// <summary>Why the data cannot be read from <paramref name="directory"/> (a file is missing), or null when it can.</summary>
    public static string? Missing(string directory)
    {
        string? absent = Files.Select(f => Path.Combine(directory, f)).FirstOrDefault(f => !File.Exists(f));
        return absent is null
            ? null
            : $"Fashion-MNIST is not installed: {absent} not found. Install it with: {InstallCommand} (or pass --data-dir DIR, a folder with the four IDX .gz files).";
    }

    /// <summary>Loads the data; <paramref name="trainSubset"/> and <paramref name="testSubset"/> keep the first N images of each.</summary>
    /// <exception cref="InvalidDataException">A file is not the IDX file expected (named in the message).</exception>
    public static FashionMnistData Load(string directory, int? trainSubset, int? testSubset = null)
    {
        Tensor trainImages = Images(Path.Combine(directory, Files[0]), trainSubset);
        Tensor trainLabels = Labels(Path.Combine(directory, Files[1]), trainImages.shape[0], trainSubset);
        Tensor testImages = Images(Path.Combine(directory, Files[2]), testSubset);
        Tensor testLabels = Labels(Path.Combine(directory, Files[3]), testImages.shape[0], testSubset);
        return new FashionMnistData(trainImages, trainLabels, testImages, testLabels);
    }

    /// <summary>The test set in batches of <paramref name="batchSize"/> (views of the test tensors, in file order).</summary>
    public List<(Tensor Input, Tensor Target)> TestBatches(int batchSize)
    {
        var batches = new List<(Tensor, Tensor)>();
        for (long start = 0; start < TestImages.shape[0]; start += batchSize)
        {
            long length = Math.Min(batchSize, TestImages.shape[0] - start);
            batches.Add((TestImages.narrow(0, start, length), TestLabels.narrow(0, start, length)));
        }

        return batches;
    }

    public void Dispose()
    {
        TrainImages.Dispose();
        TrainLabels.Dispose();
        TestImages.Dispose();
        TestLabels.Dispose();
    }

    private static Tensor Images(string path, int? subset)
    {
        (byte[] values, int[] dims) = IdxReader.Read(path);
        if (dims is not [_, 28, 28])
        {
            throw new InvalidDataException($"{path}: images of shape [{string.Join(", ", dims)}]; expected [N, 28, 28].");
        }

        long count = Math.Min(dims[0], subset ?? int.MaxValue);
        using Tensor bytes = tensor(values.AsSpan(0, (int)(count * 28 * 28)).ToArray(), [count, 1, 28, 28]);
        using Tensor scaled = bytes.to(ScalarType.Float32).div_(255f);
        return scaled.sub_(Mean).div_(Std).clone();
    }

    private static Tensor Labels(string path, long expected, int? subset)
    {
        (byte[] values, int[] dims) = IdxReader.Read(path);
        if (dims.Length != 1 || Math.Min(dims[0], subset ?? int.MaxValue) != expected)
        {
            throw new InvalidDataException($"{path}: labels of shape [{string.Join(", ", dims)}]; expected [{expected}] to match the images.");
        }

        if (values.FirstOrDefault(v => v >= Classes) is var bad && bad >= Classes)
        {
            throw new InvalidDataException($"{path}: label {bad}; expected 0-{Classes - 1}.");
        }

        return tensor(values.Take((int)expected).Select(v => (long)v).ToArray());
    }
}
