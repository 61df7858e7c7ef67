namespace Ema.Samples.Tests;

/// <summary>
/// The sample runs share TorchSharp's global state (each calls manual_seed and then draws from the global generator)
/// and the machine's few cores: one collection makes them run one after the other, so each run's data is its own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SamplesCollection
{
    public const string Name = "Sample runs";
}
