namespace Ema;

/// <summary>A set of weights in a checkpoint.</summary>
/// <param name="Key">The entry's name, as <see cref="Checkpoint.LoadForInference(TorchSharp.torch.nn.Module, string, CheckpointWeights)"/> returns it.</param>
/// <param name="Prefix">The prefix of its tensors' names in messages (<c>state_dict_ema.</c>; empty at the root).</param>
/// <param name="Read">Its tensors by state-dict name, from the header.</param>
internal sealed record WeightsEntry(string Key, string Prefix, Func<Dictionary<string, StoredTensor>> Read);

/// <summary>What <see cref="CheckpointLayouts.Recognize"/> found: the layout, where its EMA and raw weights are, and why one is absent.</summary>
/// <param name="Name">One of the <see cref="CheckpointLayouts"/> names.</param>
/// <param name="Ema">The EMA weights, or null.</param>
/// <param name="Raw">The raw (trained) weights, or null.</param>
/// <param name="EmaAbsent">Why there are no EMA weights Ema can read, and what to do; null when there are.</param>
/// <param name="RawAbsent">Why there are no raw weights Ema can read; null when there are.</param>
/// <param name="Facts">Scalars the file records (epoch, EMA step, n_averaged, decay, Ema's metadata ...), as text.</param>
internal sealed record CheckpointLayout(string Name, WeightsEntry? Ema, WeightsEntry? Raw, string? EmaAbsent, string? RawAbsent,
    IReadOnlyDictionary<string, string> Facts)
{
    /// <summary>The weights asked for, or a CheckpointException that says what the file holds.</summary>
    public WeightsEntry Choose(string path, CheckpointWeights weights) => weights switch
    {
        CheckpointWeights.PreferEma => Ema ?? Raw ?? throw new CheckpointException(path, EmaAbsent ?? RawAbsent ?? "the checkpoint holds no weights."),
        CheckpointWeights.Ema => Ema ?? throw new CheckpointException(path, $"no EMA weights: {EmaAbsent}"),
        CheckpointWeights.Raw => Raw ?? throw new CheckpointException(path, $"no raw weights: {RawAbsent}"),
        _ => throw ConfigErrors.ArgumentOutOfRange(nameof(weights), $"weights = {ConfigErrors.Format((long)weights)} is not a CheckpointWeights value: PreferEma, Ema or Raw."),
    };
}
