using System.Globalization;
using System.Text;

namespace Ema;

/// <summary>
/// Reads the header of a PyTorch checkpoint (<c>torch.save</c> since PyTorch 1.6: a zip archive of <c>data.pkl</c>
/// and one entry per storage): the zip directory (<see cref="ZipDirectory"/>) and the pickle
/// (<see cref="PickleReader"/>), then every tensor's storage entry, offset and extent, all checked against the
/// file before any tensor data is read.
/// </summary>
internal static class PthReader
{
    /// <summary>The message for PyTorch's legacy (pre-1.6, non-zip) format.</summary>
    public const string LegacyMessage =
        "this is a PyTorch checkpoint in the legacy format (before PyTorch 1.6, not a zip archive), which Ema does not read. " +
        "Re-save it with a current PyTorch: torch.save(torch.load(\"old.pth\"), \"new.pth\") writes the zip format.";

    /// <summary>A state dict's pickle is about 100 bytes per tensor; a larger one is refused before it is read.</summary>
    private const long MaxPickleBytes = 256L << 20;

    /// <summary>Whether the file starts as a zip archive does (a local file header).</summary>
    public static bool IsZip(ReadOnlySpan<byte> magic) => magic is [(byte)'P', (byte)'K', 3, 4];

    /// <summary>
    /// Whether the file starts as PyTorch's legacy format does: PROTO 2 then the LONG1 magic number. (A safetensors
    /// file with these first bytes would claim a header of about 177 MB, beyond what its reader accepts.)
    /// </summary>
    public static bool IsLegacyPickle(ReadOnlySpan<byte> magic) => magic is [0x80, <= 5, 0x8a, _];

    public static PthContent Read(string path, FileStream stream)
    {
        Dictionary<string, ZipDirectory.Entry> entries = ZipDirectory.Read(path, stream);
        ZipDirectory.Entry[] pickles = entries.Values.Where(e => e.Name == "data.pkl" || e.Name.EndsWith("/data.pkl", StringComparison.Ordinal)).ToArray();
        if (pickles.Length != 1)
        {
            throw new CheckpointException(path, $"the zip archive has {pickles.Length} data.pkl entries, not one: it is not a torch.save checkpoint.");
        }

        string prefix = pickles[0].Name[..^"data.pkl".Length];
        if (entries.TryGetValue(prefix + "byteorder", out ZipDirectory.Entry? byteOrder))
        {
            string order = Encoding.ASCII.GetString(ReadEntry(path, stream, byteOrder, 16)).Trim();
            if (order != "little")
            {
                throw new CheckpointException(path, $"the checkpoint's byte order is '{order}'; Ema reads little-endian checkpoints only.");
            }
        }

        object? root = PickleReader.Read(path, ReadEntry(path, stream, pickles[0], MaxPickleBytes));
        if (root is not PickleDict dict)
        {
            throw new CheckpointException(path, $"the checkpoint holds {PickleReader.Describe(root)}, not a dict (a state dict or SuperGradients' checkpoint dict).");
        }

        return new PthContent(path, stream, dict, storage => Locate(path, entries, prefix, storage));
    }

    private static ZipDirectory.Entry Locate(string path, Dictionary<string, ZipDirectory.Entry> entries, string prefix, PickleStorage storage)
    {
        string name = prefix + "data/" + storage.Key;
        if (!entries.TryGetValue(name, out ZipDirectory.Entry? entry))
        {
            throw new CheckpointException(path, $"the storage '{storage.Key}' has no archive entry '{name}'.");
        }

        if (entry.Length / storage.ElementSize < storage.Count)
        {
            throw new CheckpointException(path, string.Create(CultureInfo.InvariantCulture,
                $"the storage '{storage.Key}' claims {storage.Count} elements of {storage.ElementSize} bytes, but its archive entry holds {entry.Length} bytes."));
        }

        return entry;
    }

    private static byte[] ReadEntry(string path, FileStream stream, ZipDirectory.Entry entry, long max)
    {
        if (entry.Length > max)
        {
            throw new CheckpointException(path, $"the archive entry '{entry.Name}' has {entry.Length} bytes, more than the {max} this reader accepts.");
        }

        var bytes = new byte[entry.Length];
        stream.Position = entry.Offset;
        stream.ReadExactly(bytes);
        return bytes;
    }
}
