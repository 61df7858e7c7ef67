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
        AtomicFile.Write(output, stream =>
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

    public static void Dispose(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach ((_, Tensor tensor) in tensors)
        {
            tensor.Dispose();
        }
    }

    public static string Format(CheckpointContent content) => content is PthContent ? "pth" : "safetensors";
}
