namespace Ema.Runtime.Tests.Fuzz;

/// <summary>
/// The benign side of the .pth fuzz (the hostile side is <see cref="SafetensorsFuzzTests"/> with <see cref="PthMutator"/>):
/// checkpoints made by real PyTorch (tests/fixtures/pth/benign_fuzz.py) whose entries hold, at random depth, every
/// inert data type real checkpoints carry, in pickle protocols 2, 4 and 5. Every one must load with its values.
/// </summary>
public sealed class PthBenignFuzzTests
{
    /// <summary>Seeds: EMA_FUZZ_SEED (one seed) or the default; EMA_FUZZ_BENIGN_FILES the file count.</summary>
    [PyTorchFact]
    public void Benign_PyTorch_files_with_inert_data_in_every_entry_all_load()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("EMA_FUZZ_SEED"), out int s) ? s : 7;
        int count = int.TryParse(Environment.GetEnvironmentVariable("EMA_FUZZ_BENIGN_FILES"), out int c) ? c : 60;
        using var dir = new TrainingSupport.TempDir();
        PyTorch.Run("benign_fuzz.py", dir.Path, count.ToString(System.Globalization.CultureInfo.InvariantCulture), seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(count, Directory.GetFiles(dir.Path, "benign_*.pth").Length);
        PthReaderTests.AssertBenignFilesLoad(dir.Path);
    }
}
