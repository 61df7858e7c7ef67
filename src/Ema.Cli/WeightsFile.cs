using static TorchSharp.torch;

namespace Ema.Cli;

/// <summary>
/// Reading and writing weights for the commands, through the library's one reader (<see cref="CheckpointContent"/>,
/// <see cref="CheckpointLayouts"/>) and its writers; outputs are replaced atomically.
/// </summary>
internal static class WeightsFile
{
    /// <summary>Reads a set of weights into new CPU tensors, in file order, reporting each tensor read.</summary>
    public static List<KeyValuePair<string, Tensor>> Read(CheckpointContent content, WeightsEntry entry, Action<long>? readBytes = null)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        try
        {
            foreach ((string name, StoredTensor stored) in entry.Read())
            {
                Tensor tensor = empty(stored.Shape, stored.Type);
                tensors.Add(new(name, tensor));
                TensorStreaming.ReadInto(content.Stream, stored, tensor);
                readBytes?.Invoke(stored.Length);
            }

            return tensors;
        }
        catch
        {
            Dispose(tensors);
            throw;
        }
    }

    /// <summary>
    /// The one rule for a command's output, checked before anything is read: its extension chooses the format
    /// (<see cref="IsPth"/>), and it is none of the files the command reads. Writing over an input would replace a
    /// whole checkpoint (raw weights, optimizer, metadata) or a post-hoc snapshot with the extract, and the atomic
    /// rename would make that loss complete; so the same file, by any path (relative, <c>..</c>, a symbolic link
    /// to it or to a directory above it), is refused.
    /// </summary>
    /// <param name="output">The file to write.</param>
    /// <param name="inputs">The files the command reads.</param>
    /// <returns>Whether the output is PyTorch's format.</returns>
    public static bool CheckOutput(string output, IEnumerable<string> inputs)
    {
        bool pth = IsPth(output);
        string target = CanonicalPath(output);
        foreach (string input in inputs)
        {
            if (string.Equals(CanonicalPath(input), target, PathComparison))
            {
                throw new ArgumentException(
                    $"The output '{output}' is the input '{input}': writing it would replace what the command reads and lose what it holds. Write to another file.",
                    nameof(output));
            }
        }

        return pth;
    }

    /// <summary>
    /// Refuses, before any tensor data is read, a set of weights the output's format cannot hold (a complex tensor in
    /// safetensors), naming the tensor, its dtype and the format that holds it; the writer would throw half-way.
    /// </summary>
    public static void RequireFormatHolds(string input, string output, bool pth, WeightsEntry? entry)
    {
        if (pth || entry is null)
        {
            return;
        }

        foreach ((string name, StoredTensor stored) in entry.Read())
        {
            if (!SafetensorsDtype.Holds(stored.Type))
            {
                throw new CheckpointException(input,
                    $"its dtype {stored.Type} has no safetensors name (safetensors holds {SafetensorsDtype.Known}), so '{output}' cannot hold it; write a .pth or .pt file instead.",
                    stored.Name);
            }
        }
    }

    /// <summary>Whether the output is PyTorch's format (by extension); anything but .safetensors, .pth and .pt is refused.</summary>
    public static bool IsPth(string output) =>
        CheckpointFormats.Of(output) switch
        {
            CheckpointFormat.Pth => true,
            CheckpointFormat.Safetensors => false,
            _ => throw new ArgumentException($"The output '{output}' must end in {CheckpointFormats.ExtensionList}: the extension chooses the format.", nameof(output)),
        };

    /// <summary>Writes a plain state dict (what <c>torch.save(model.state_dict())</c> or <c>safetensors.torch.save_file</c> writes), atomically.</summary>
    public static void WriteStateDict(string output, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        bool pth = IsPth(output);
        WriteAtomically(output, stream =>
        {
            if (pth)
            {
                PthWriter.Write(stream, tensors.Select(p => new KeyValuePair<string, object>(p.Key, p.Value)).ToList());
            }
            else
            {
                SafetensorsWriter.Write(stream, tensors, metadata);
            }
        });
    }

    /// <summary>
    /// Replaces <paramref name="output"/> atomically (the previous file stays whole if anything fails); a file-system
    /// error names the output, not the temporary file or the parent directory the system reports.
    /// </summary>
    public static void WriteAtomically(string output, Action<Stream> write)
    {
        try
        {
            AtomicFile.Write(output, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write the output '{output}' (nothing was replaced): {e.Message}", e);
        }
    }

    /// <summary>File names differ by case on Linux only, among the systems .NET runs on (by default).</summary>
    private static StringComparison PathComparison => OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    /// <summary>The absolute path with every symbolic link along it resolved (the file need not exist).</summary>
    private static string CanonicalPath(string path)
    {
        string full = Path.GetFullPath(path);
        string? parent = Path.GetDirectoryName(full);
        if (parent is null)
        {
            return full;
        }

        string resolved = Path.Combine(CanonicalPath(parent), Path.GetFileName(full));
        FileSystemInfo? target = new FileInfo(resolved).LinkTarget is null ? null : File.ResolveLinkTarget(resolved, returnFinalTarget: true);
        return target is null ? resolved : CanonicalPath(target.FullName);
    }

    public static void Dispose(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach ((_, Tensor tensor) in tensors)
        {
            tensor.Dispose();
        }
    }

    public static string Format(CheckpointContent content) => content is PthContent ? "pth" : "safetensors";
}
