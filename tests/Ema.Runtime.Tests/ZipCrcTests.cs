using System.IO.Compression;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>The zip CRC-32s Ema writes (System.IO.Hashing) against .NET's zip reader (Python's zipfile.testzip checks it too, in PthRoundTripTests).</summary>
public sealed class ZipCrcTests
{
    [Fact]
    public void An_Ema_pth_passes_the_CRC_check_of_System_IO_Compression()
    {
        using var dir = new TempDir();
        using var model = new LinearBatchNorm();
        string path = dir.File("m.pth");
        Checkpoint.Save(path, model, epoch: 1);
        using ZipArchive archive = ZipFile.OpenRead(path);
        Assert.Contains(archive.Entries, e => e.FullName == "archive/data.pkl");
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            using Stream stream = entry.Open();
            stream.CopyTo(Stream.Null); // reading to the end checks the CRC-32 and throws InvalidDataException on a mismatch
        }
    }
}
