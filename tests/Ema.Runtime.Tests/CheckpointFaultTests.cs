using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// Faults while saving: a killed process, an exception mid-write or before the rename, a directory that cannot be
/// written. The previous checkpoint must stay intact and loadable, errors must name the checkpoint, and the next
/// save must work.
/// </summary>
public sealed class CheckpointFaultTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _path;
    private readonly LinearBatchNorm _model = new();
    private readonly Dictionary<string, float[]> _saved;

    public CheckpointFaultTests()
    {
        _path = _dir.File(Checkpoint.LatestFileName);
        Checkpoint.Save(_path, _model, epoch: 1);
        _saved = Snapshot(_model);
        using (no_grad())
        {
            _model.state_dict()["linear.weight"].add_(1.0f); // what the failed saves below would have written
        }
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)] // complete, but killed before the rename
    public void A_process_killed_while_saving_leaves_a_temporary_file_that_nothing_reads(double fraction)
    {
        // What a kill -9 during the next save leaves: AtomicFile's temporary file, truncated, beside the checkpoint.
        byte[] next = SaveToBytes(_model, epoch: 2);
        string stray = _dir.File($".{Checkpoint.LatestFileName}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(stray, next[..(int)(next.Length * fraction)]);

        AssertPreviousCheckpointIntact();

        Checkpoint.Save(_path, _model, epoch: 2); // the restarted run saves normally next to the stray file
        Assert.Equal(2, Checkpoint.ReadInfo(_path).Epoch);
        Assert.True(File.Exists(stray));
    }

    [Fact]
    public void An_exception_while_writing_the_data_removes_the_temporary_file_and_keeps_the_previous_checkpoint()
    {
        using var model = new WithComplexBuffer(); // complex tensors have no safetensors dtype: the writer throws mid-file
        string path = _dir.File("complex.safetensors");
        Checkpoint.Save(path, _model, epoch: 1);
        byte[] before = File.ReadAllBytes(path);

        var error = Assert.Throws<NotSupportedException>(() => Checkpoint.Save(path, model, epoch: 2));

        Assert.Contains("ComplexFloat32", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failed_save_then_a_second_save_works()
    {
        int calls = 0;
        CheckpointException error;
        using (AtomicFile.InjectBeforeRename(_ =>
        {
            calls++;
            throw new IOException("No space left on device");
        }))
        {
            error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(_path, _model, epoch: 2));
        }

        Assert.Equal(_path, error.FilePath);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Contains("previous checkpoint at this path, if any, is unchanged", error.Message, StringComparison.Ordinal);
        AssertPreviousCheckpointIntact();

        Checkpoint.Save(_path, _model, epoch: 2);

        Assert.Equal(1, calls);
        Assert.Equal(2, Checkpoint.ReadInfo(_path).Epoch);
        using var restored = new LinearBatchNorm();
        Checkpoint.LoadForInference(restored, _path);
        AssertSame(Snapshot(_model), Snapshot(restored));
        Assert.Equal(new[] { Checkpoint.LatestFileName }, Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_save_to_a_read_only_directory_is_a_clear_error_naming_the_checkpoint()
    {
        // Permission bits do not stop root (these tests often run as root in containers); /proc is read-only for everyone.
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("this test uses Linux's /proc and permission bits");
            return;
        }

        string directory = Environment.UserName == "root" ? "/proc/self" : ReadOnlyDirectory();
        string path = Path.Combine(directory, Checkpoint.LatestFileName);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(path, _model, epoch: 2));

        Assert.Equal(path, error.FilePath);
        Assert.StartsWith($"Checkpoint '{path}': cannot write the checkpoint: ", error.Message, StringComparison.Ordinal);
        Assert.True(error.InnerException is IOException or UnauthorizedAccessException);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_save_below_a_file_is_a_clear_error_and_a_missing_directory_is_created()
    {
        string underFile = Path.Combine(_path, "nested", "ckpt.safetensors"); // the "directory" is the checkpoint file

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(underFile, _model, epoch: 2));
        Assert.Equal(underFile, error.FilePath);
        AssertPreviousCheckpointIntact();

        string missing = _dir.File(Path.Combine("runs", "a", "b", Checkpoint.LatestFileName));
        Checkpoint.Save(missing, _model, epoch: 3);
        Assert.Equal(3, Checkpoint.ReadInfo(missing).Epoch);
    }

    [Fact]
    public void A_checkpoint_write_failing_mid_training_keeps_the_last_epoch_and_the_run_resumes_from_it()
    {
        var trainingParams = new TrainingParams { MaxEpochs = 3, InitialLr = 0.05, Ema = true, EmaParams = new ExpEmaParams(0.9, 5) };
        List<(Tensor, Tensor)> data = Batches(3, seed: 90);
        using var run = new TempDir();
        string latest = run.File(Checkpoint.LatestFileName);
        Dictionary<string, float[]>? rawAtFailure = null;
        using (var model = new LinearBatchNorm())
        using (var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { CheckpointDirectory = run.Path }))
        {
            int renames = 0;
            using var fault = AtomicFile.InjectBeforeRename(_ =>
            {
                // Epoch 1 writes latest and best; the third write (epoch 2's latest) fails.
                if (++renames == 3)
                {
                    rawAtFailure = Snapshot(model);
                    throw new IOException("disk full");
                }
            });

            var error = Assert.Throws<CheckpointException>(() => trainer.Train(data, data));
            Assert.Equal(latest, error.FilePath);
            AssertSame(rawAtFailure!, Snapshot(model)); // the EMA is not left swapped into the model
        }

        Assert.Equal(1, Checkpoint.ReadInfo(latest).Epoch);
        using (var model = new LinearBatchNorm())
        using (var trainer = new Trainer(model, Mse, trainingParams, options: new TrainerOptions { CheckpointDirectory = run.Path, Resume = true }))
        {
            IReadOnlyList<EpochResult> results = trainer.Train(data, data);
            Assert.Equal(new[] { 2, 3 }, results.Select(r => r.Epoch));
        }

        Assert.Equal(3, Checkpoint.ReadInfo(latest).Epoch);
        TrainingSupport.Dispose(data);
    }

    private void AssertPreviousCheckpointIntact()
    {
        Assert.Equal(1, Checkpoint.ReadInfo(_path).Epoch);
        using var restored = new LinearBatchNorm();
        Assert.Equal("net", Checkpoint.LoadForInference(restored, _path));
        AssertSame(_saved, Snapshot(restored));
    }

    private byte[] SaveToBytes(LinearBatchNorm model, int epoch)
    {
        string scratch = _dir.File($"scratch-{Guid.NewGuid():N}.safetensors");
        Checkpoint.Save(scratch, model, epoch: epoch);
        byte[] bytes = File.ReadAllBytes(scratch);
        File.Delete(scratch);
        return bytes;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private string ReadOnlyDirectory()
    {
        string directory = Directory.CreateDirectory(_dir.File("read-only")).FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return directory;
    }

    private sealed class WithComplexBuffer : TorchSharp.torch.nn.Module
    {
        public WithComplexBuffer()
            : base(nameof(WithComplexBuffer))
        {
            register_buffer("a", zeros(4));
            register_buffer("z", zeros(2, dtype: ScalarType.ComplexFloat32));
        }
    }
}
