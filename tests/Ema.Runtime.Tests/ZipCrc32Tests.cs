using System.IO.Compression;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>The zip CRC-32 against its check value and against .NET's zip reader (Python's zipfile.testzip checks it too, in PthRoundTripTests).</summary>
public sealed class ZipCrc32Tests
{
    [Fact]
    public void The_CRC_of_123456789_is_the_standard_check_value()
    {
        var crc = new ZipCrc32();
        crc.Append("123456789"u8);
        Assert.Equal(0xCBF43926u, crc.Value); // the CRC-32 (ISO-HDLC) catalogue's check value
    }

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
