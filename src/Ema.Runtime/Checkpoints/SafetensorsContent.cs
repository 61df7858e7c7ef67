using static TorchSharp.torch;

namespace Ema;

/// <summary>Everything a safetensors file holds, read and checked in full: tensors by name (CPU) and metadata.</summary>
internal sealed class SafetensorsContent(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) : IDisposable
{
    public string Path { get; } = path;

    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;

    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <summary>The tensors whose name starts with <paramref name="prefix"/>, keyed by the rest of the name.</summary>
    public Dictionary<string, Tensor> WithPrefix(string prefix) =>
        tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key[prefix.Length..], p => p.Value, StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (Tensor tensor in tensors.Values)
        {
            tensor.Dispose();
        }

        tensors.Clear();
    }
}
