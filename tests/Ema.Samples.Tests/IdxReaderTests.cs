using System.IO.Compression;
using Ema.Samples.Training.FashionMnist;

namespace Ema.Samples.Tests;

/// <summary>The IDX reader on small gzipped files written here: values and dimensions, and errors naming the file.</summary>
public sealed class IdxReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ema-idx-").FullName;

    [Fact]
    public void Reads_the_dimensions_big_endian_and_the_bytes()
    {
        string path = Write("ok.gz", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 0, .. Enumerable.Range(0, 512).Select(i => (byte)i)]);

        (byte[] values, int[] dimensions) = IdxReader.Read(path);

        Assert.Equal([2, 1, 256], dimensions);
        Assert.Equal(Enumerable.Range(0, 512).Select(i => (byte)i), values);
    }

    [Fact]
    public void A_file_of_another_element_type_is_refused_naming_the_file()
    {
        string path = Write("floats.gz", [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("magic 00000D01", error.Message);
    }

    [Fact]
    public void A_file_cut_short_is_refused_naming_the_file_and_what_is_missing()
    {
        string path = Write("short.gz", [0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Equal($"{path}: the file ends before 10 values.", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, byte[] content)
    {
        string path = Path.Combine(_directory, name);
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(content);
        return path;
    }
}
