using System.Globalization;

namespace Ema;

/// <summary>
/// A PyTorch checkpoint's pickled dict, turned into tensor descriptors entry by entry when asked: SuperGradients'
/// layout (<c>net</c>, <c>ema_net</c>, <c>epoch</c>, <c>acc</c>, ...) or a bare state dict (the weights themselves).
/// Entries nobody asks for (<c>packages</c>, <c>metrics</c>, <c>optimizer_state_dict</c>, ...) are never looked
/// at; a forbidden global anywhere has already refused the file (<see cref="PickleReader"/>).
/// </summary>
internal sealed class PthContent : CheckpointContent
{
    private readonly PickleDict _root;
    private readonly Dictionary<string, object?> _top = new(StringComparer.Ordinal);
    private readonly Func<PickleStorage, ZipDirectory.Entry> _locate;
    private readonly bool _checkpointLayout;
    private readonly Lazy<Dictionary<string, string>> _emaMetadata;
    private readonly Lazy<Dictionary<string, string>> _metadata;

    public PthContent(string path, FileStream stream, PickleDict root, Func<PickleStorage, ZipDirectory.Entry> locate)
        : base(path, stream)
    {
        _root = root;
        _locate = locate;
        foreach ((object? key, object? value) in root.Items)
        {
            if (key is not string name)
            {
                throw new CheckpointException(path, $"the checkpoint dict has the key {PickleReader.Describe(key)}; its keys must be strings.");
            }

            _top[name] = value; // a repeated key keeps the last value, as Python's dict does
        }

        _checkpointLayout = _top.ContainsKey(CheckpointKeys.Net) || _top.ContainsKey(CheckpointKeys.EmaNet);
        _emaMetadata = new Lazy<Dictionary<string, string>>(ReadEmaMetadata);
        _metadata = new Lazy<Dictionary<string, string>>(ReadMetadata);
    }

    public override IReadOnlyDictionary<string, string> Metadata => _metadata.Value;

    /// <summary>From <c>ema_metadata</c> alone: loading for inference reads neither <c>epoch</c> nor <c>acc</c>.</summary>
    public override string? FormatVersion => _emaMetadata.Value.GetValueOrDefault(CheckpointMetadata.VersionKey);

    public override bool Has(string section) => _checkpointLayout ? _top.ContainsKey(section) : section == CheckpointKeys.Net;

    public override Dictionary<string, StoredTensor> Section(string section) =>
        !Has(section) ? new Dictionary<string, StoredTensor>(StringComparer.Ordinal) : StateDictAt(_checkpointLayout ? section : null);

    public override IReadOnlyList<string> Entries => [.. _top.Keys];

    public override EntryInfo Describe(string entry) => _top[entry] switch
    {
        null => new EntryInfo(EntryKind.None, "None"),
        PickleTensor => new EntryInfo(EntryKind.Tensor, "a tensor"),
        PickleForbidden forbidden => new EntryInfo(EntryKind.Object, $"a pickled '{forbidden.Global}'"),
        PickleDict dict when dict.Items.Count > 0 && dict.Items.All(p => p.Key is string && p.Value is PickleTensor) =>
            new EntryInfo(EntryKind.StateDict, $"a state dict of {dict.Items.Count} tensors"),
        string text => new EntryInfo(EntryKind.Scalar, PickleReader.Describe(text)) { ScalarText = text },
        long or double or bool => new EntryInfo(EntryKind.Scalar, PickleReader.Describe(_top[entry])) { ScalarText = Convert.ToString(_top[entry], CultureInfo.InvariantCulture) },
        PickleDict dict => new EntryInfo(EntryKind.Other, $"a dict of {dict.Items.Count} entries"),
        object other => new EntryInfo(EntryKind.Other, PickleReader.Describe(other)),
    };

    public override Dictionary<string, StoredTensor> StateDictAt(string? entry, IReadOnlySet<string>? leaveOut = null)
    {
        string section = entry ?? CheckpointKeys.Net;
        PickleDict dict = entry is null
            ? _root
            : Value(entry) as PickleDict ?? throw new CheckpointException(Path, $"'{entry}' holds {PickleReader.Describe(_top[entry])}, not a state dict.");
        var entries = new List<KeyValuePair<string, StoredTensor>>();
        foreach ((object? key, object? value) in dict.Items)
        {
            if (key is not string name)
            {
                throw new CheckpointException(Path, $"'{section}' has the key {PickleReader.Describe(key)}; state dict keys are strings.");
            }

            if (leaveOut?.Contains(name) == true)
            {
                continue;
            }

            string display = entry is null ? name : entry + "." + name;
            entries.Add(new(name, value switch
            {
                PickleTensor tensor => Describe(display, tensor),
                _ when !_checkpointLayout => throw NotAStateDict(name, value),
                _ => throw new CheckpointException(Path, $"the state dict entry holds {PickleReader.Describe(value)}, not a tensor.", display),
            }));
        }

        return WithoutModulePrefix(entries);
    }

    /// <summary>A tensor at a top-level entry (an <c>n_averaged</c> count, say), described for reading.</summary>
    public StoredTensor TensorAt(string entry, string name) =>
        Value(entry) is PickleDict dict && dict.Items.LastOrDefault(p => p.Key as string == name).Value is PickleTensor tensor
            ? Describe(entry + "." + name, tensor)
            : throw new CheckpointException(Path, $"'{entry}' has no tensor '{name}'.");

    public override StoredTensor? OptimizerState =>
        _checkpointLayout && _top.ContainsKey(PthKeys.OptimizerState)
            ? Value(PthKeys.OptimizerState) is PickleTensor tensor
                ? Describe(PthKeys.OptimizerState, tensor)
                : throw new CheckpointException(Path, "the entry is not a tensor.", PthKeys.OptimizerState)
            : null;

    /// <summary>A top-level value.</summary>
    private object? Value(string key) => _top[key];

    /// <summary>
    /// A file without <c>net</c> / <c>ema_net</c> is read as a bare state dict; when it is not one either (another
    /// tool's checkpoint dict), the message lists its top-level keys, so that the user sees what the file holds.
    /// </summary>
    private CheckpointException NotAStateDict(string key, object? value)
    {
        const int Shown = 30;
        IEnumerable<string> keys = _top.Take(Shown).Select(p => $"'{p.Key}' ({PickleReader.Describe(p.Value)})");
        string more = _top.Count > Shown ? $", and {_top.Count - Shown} more" : string.Empty;
        return new CheckpointException(Path,
            $"the file has neither '{CheckpointKeys.Net}' nor '{CheckpointKeys.EmaNet}' (SuperGradients' keys), and is not a state dict either: its entry '{key}' holds " +
            $"{PickleReader.Describe(value)}, not a tensor. Its top-level keys are {string.Join(", ", keys)}{more}.");
    }

    /// <summary>A tensor's bytes in the file, after checking it lies within its storage and is contiguous.</summary>
    private StoredTensor Describe(string name, PickleTensor tensor)
    {
        PickleStorage storage = tensor.Storage;
        long count;
        try
        {
            count = tensor.Size.Aggregate(1L, (a, b) => checked(a * b));
        }
        catch (OverflowException)
        {
            throw new CheckpointException(Path, $"its shape [{string.Join(", ", tensor.Size)}] has more elements than a tensor can.", name);
        }

        long expected = 1;
        for (int i = tensor.Size.Length - 1; i >= 0; i--)
        {
            if (tensor.Size[i] != 1 && tensor.Stride[i] != expected && count > 0)
            {
                throw new CheckpointException(Path,
                    $"the tensor is not contiguous (shape [{string.Join(", ", tensor.Size)}], stride [{string.Join(", ", tensor.Stride)}]); save it with .contiguous() in PyTorch.", name);
            }

            expected *= tensor.Size[i];
        }

        if (tensor.Offset > storage.Count || count > storage.Count - tensor.Offset)
        {
            throw new CheckpointException(Path, string.Create(CultureInfo.InvariantCulture,
                $"the tensor needs elements [{tensor.Offset}, {tensor.Offset} + {count}) of storage '{storage.Key}', which has {storage.Count}."), name);
        }

        ZipDirectory.Entry entry = _locate(storage);
        return new StoredTensor(name, storage.Type, tensor.Size, entry.Offset + (tensor.Offset * storage.ElementSize), count * storage.ElementSize);
    }

    private Dictionary<string, string> ReadEmaMetadata()
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_checkpointLayout && _top.ContainsKey(PthKeys.Metadata))
        {
            if (Value(PthKeys.Metadata) is not PickleDict dict)
            {
                throw new CheckpointException(Path, $"'{PthKeys.Metadata}' is not a dict of strings.");
            }

            foreach ((object? key, object? value) in dict.Items)
            {
                if (key is not string name || value is not string text)
                {
                    throw new CheckpointException(Path, $"'{PthKeys.Metadata}' has the entry {PickleReader.Describe(key)}: {PickleReader.Describe(value)}; it must map strings to strings.");
                }

                metadata[name] = text;
            }
        }

        return metadata;
    }

    private Dictionary<string, string> ReadMetadata()
    {
        var metadata = new Dictionary<string, string>(_emaMetadata.Value, StringComparer.Ordinal);
        if (!_checkpointLayout)
        {
            return metadata;
        }

        // SuperGradients' own keys, for its checkpoints (Ema's ema_metadata already has both).
        if (!metadata.ContainsKey(CheckpointMetadata.EpochKey) && _top.ContainsKey(PthKeys.Epoch) && Value(PthKeys.Epoch) is long epoch)
        {
            metadata[CheckpointMetadata.EpochKey] = epoch.ToString(CultureInfo.InvariantCulture);
        }

        if (!metadata.ContainsKey(CheckpointMetadata.BestMetricKey) && _top.ContainsKey(PthKeys.Acc) && Value(PthKeys.Acc) is double or long)
        {
            metadata[CheckpointMetadata.BestMetricKey] = Convert.ToDouble(_top[PthKeys.Acc], CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
        }

        return metadata;
    }
}
