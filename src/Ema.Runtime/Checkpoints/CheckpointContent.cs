namespace Ema;

/// <summary>
/// An open checkpoint whose header (safetensors JSON, or a PyTorch archive's directory and pickle) is read and
/// checked, and whose tensor data is not read yet: callers compare the descriptors with the model first and then
/// stream each tensor straight into its target (<see cref="TensorStreaming"/>). One type for both formats, so
/// that <see cref="Checkpoint"/> has one code path.
/// </summary>
internal abstract class CheckpointContent(string path, FileStream stream) : IDisposable
{
    public string Path { get; } = path;

    /// <summary>The file, open for reading the tensor data.</summary>
    public FileStream Stream { get; } = stream;

    /// <summary>Ema's metadata strings (the safetensors <c>__metadata__</c> keys), whatever the format.</summary>
    public abstract IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The checkpoint format version Ema recorded, or null (a file from another tool). Reads no more than it needs.</summary>
    public virtual string? FormatVersion => Metadata.GetValueOrDefault(CheckpointMetadata.VersionKey);

    /// <summary>Whether the checkpoint has the section <paramref name="section"/> (<see cref="CheckpointKeys.Net"/> or <see cref="CheckpointKeys.EmaNet"/>).</summary>
    public abstract bool Has(string section);

    /// <summary>The tensors of a section by state-dict name (without the section's prefix); empty when the section is absent.</summary>
    public abstract Dictionary<string, StoredTensor> Section(string section);

    /// <summary>The optimizer's state (a 1-d U8 tensor), or null when the checkpoint has none.</summary>
    public abstract StoredTensor? OptimizerState { get; }

    /// <summary>
    /// The file's top-level entries, for recognizing other tools' layouts (<see cref="CheckpointLayouts"/>): a
    /// <c>.pth</c> checkpoint's dict keys in file order; none for safetensors, whose tensors are the root.
    /// </summary>
    public abstract IReadOnlyList<string> Entries { get; }

    /// <summary>What a top-level entry holds, from the header alone.</summary>
    public abstract EntryInfo Describe(string entry);

    /// <summary>
    /// The tensors of the state dict at a top-level entry, or at the root when <paramref name="entry"/> is null, by
    /// name; DataParallel's <c>module.</c> prefix is dropped when every name has it. Names in
    /// <paramref name="leaveOut"/> are left out before that (an <c>AveragedModel</c>'s <c>n_averaged</c>).
    /// </summary>
    public abstract Dictionary<string, StoredTensor> StateDictAt(string? entry, IReadOnlySet<string>? leaveOut = null);

    /// <summary>Drops DataParallel's <c>module.</c> prefix when every name has it (as SuperGradients and timm do); refuses a name given twice.</summary>
    protected Dictionary<string, StoredTensor> WithoutModulePrefix(List<KeyValuePair<string, StoredTensor>> entries)
    {
        bool prefixed = entries.Count > 0 && entries.All(e => e.Key.StartsWith(PthKeys.ModulePrefix, StringComparison.Ordinal));
        var result = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach ((string name, StoredTensor tensor) in entries)
        {
            string key = prefixed ? name[PthKeys.ModulePrefix.Length..] : name;
            if (!result.TryAdd(key, tensor))
            {
                throw new CheckpointException(Path, "the state dict names this tensor twice.", tensor.Name);
            }
        }

        return result;
    }

    /// <summary>Reads a tensor's bytes into a new array (the optimizer's state; bounded by the file's size, checked in the header).</summary>
    public byte[] ReadBytes(StoredTensor tensor)
    {
        var bytes = new byte[tensor.Length];
        Stream.Position = tensor.Offset;
        Stream.ReadExactly(bytes);
        return bytes;
    }

    public void Dispose() => Stream.Dispose();

    /// <summary>
    /// Opens a checkpoint and reads its header, telling the format by the first bytes: a zip archive is PyTorch's
    /// <c>torch.save</c> format, a pickle opcode the legacy PyTorch format (refused), anything else safetensors.
    /// </summary>
    public static CheckpointContent Open(string path)
    {
        if (Directory.Exists(path))
        {
            // Opening a directory fails as "access denied", which sends the user looking at permissions.
            string files = string.Join(", ", Directory.GetFiles(path)
                .Where(f => CheckpointFormats.Of(f) is not null || f.EndsWith(".bin", StringComparison.Ordinal) || f.EndsWith(".ckpt", StringComparison.Ordinal) || f.EndsWith(".tar", StringComparison.Ordinal))
                .Select(f => $"'{System.IO.Path.GetFileName(f)}'").Order(StringComparer.Ordinal));
            throw new CheckpointException(path,
                $"the path is a directory, not a checkpoint file; pass the weights file inside it ({(files.Length > 0 ? files : "it holds no .safetensors, .pth, .pt, .bin, .ckpt or .tar file")}).");
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException(path, "the file does not exist.", innerException: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"the file cannot be opened: {e.Message}", innerException: e);
        }

        try
        {
            Span<byte> magic = stackalloc byte[4];
            int read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            stream.Position = 0;
            if (read == 4 && PthReader.IsZip(magic))
            {
                return PthReader.Read(path, stream);
            }

            if (read == 4 && PthReader.IsLegacyPickle(magic))
            {
                throw new CheckpointException(path, PthReader.LegacyMessage);
            }

            // A safetensors file has its JSON header's '{' at byte 8; a file without one may be TorchSharp's own format.
            Span<byte> ninth = stackalloc byte[9];
            if (stream.ReadAtLeast(ninth, 9, throwOnEndOfStream: false) < 9 || ninth[8] != (byte)'{')
            {
                stream.Position = 0;
                if (TorchSharpFormat.Recognize(stream))
                {
                    throw new CheckpointException(path, TorchSharpFormat.Message);
                }
            }

            stream.Position = 0;
            return SafetensorsReader.Read(path, stream);
        }
        catch (Exception e)
        {
            stream.Dispose();
            if (e is CheckpointException)
            {
                throw;
            }

            throw new CheckpointException(path, $"reading the checkpoint's header failed: {e.Message}", innerException: e);
        }
    }
}
