namespace Ema;

/// <summary>A safetensors checkpoint: tensors named <c>net.*</c>, <c>ema_net.*</c> and <c>optimizer.state</c>, metadata from <c>__metadata__</c>.</summary>
internal sealed class SafetensorsContent(string path, FileStream stream, Dictionary<string, StoredTensor> tensors, Dictionary<string, string> metadata)
    : CheckpointContent(path, stream)
{
    /// <summary>Every tensor by its full name.</summary>
    public IReadOnlyDictionary<string, StoredTensor> Tensors => tensors;

    public override IReadOnlyDictionary<string, string> Metadata => metadata;

    public override StoredTensor? OptimizerState => tensors.GetValueOrDefault(CheckpointKeys.OptimizerState);

    public override bool Has(string section) => tensors.Keys.Any(k => k.StartsWith(section + ".", StringComparison.Ordinal));

    /// <summary>None: a safetensors file has no nesting; its tensors are the root (Ema's own sections are name prefixes).</summary>
    public override IReadOnlyList<string> Entries => [];

    public override EntryInfo Describe(string entry) => throw new KeyNotFoundException($"a safetensors file has no entry '{entry}'.");

    public override Dictionary<string, StoredTensor> StateDictAt(string? entry, IReadOnlySet<string>? leaveOut = null) =>
        entry is not null
            ? Section(entry)
            : WithoutModulePrefix(tensors.Where(p => leaveOut?.Contains(p.Key) != true).ToList());

    public override Dictionary<string, StoredTensor> Section(string section)
    {
        string prefix = section + ".";
        return tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key[prefix.Length..], p => p.Value, StringComparer.Ordinal);
    }
}
