using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>A .pth save that fails at any byte (in the zip headers, the pickle, a tensor, the CRC patch, the directory) leaves the previous file loadable.</summary>
public sealed class PthFaultTests
{
    /// <summary>A stream that fails once <c>limit</c> bytes were written, wherever the writer is.</summary>
    private sealed class FailAfter(Stream inner, long limit) : Stream
    {
        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > limit)
            {
                throw new IOException($"simulated disk failure after {limit} bytes");
            }

            _written += buffer.Length;
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);
    }

    [Fact]
    public void A_save_failing_at_any_stage_leaves_the_previous_pth_loadable()
    {
        using var dir = new TempDir();
        string path = dir.File(Checkpoint.LatestPthFileName);
        using var model = new LinearBatchNorm();
        Checkpoint.Save(path, model, epoch: 1);
        Dictionary<string, float[]> saved = Snapshot(model);
        using (no_grad())
        {
            model.state_dict()["linear.weight"].add_(1.0f);
        }

        var entries = new List<KeyValuePair<string, object>> { new("net", model.state_dict().ToList()) };
        long size;
        using (var complete = new MemoryStream())
        {
            PthWriter.Write(complete, entries);
            size = complete.Length;
        }
        int failures = 0;
        for (long limit = 0; limit < size; limit += 61)
        {
            Assert.Throws<IOException>(() => AtomicFile.Write(path, stream => PthWriter.Write(new FailAfter(stream, limit), entries)));
            failures++;
        }

        Assert.True(failures > 20);
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // no temporary file is left behind
        using var loaded = new LinearBatchNorm();
        Assert.Equal("net", Checkpoint.LoadForInference(loaded, path));
        AssertSame(saved, Snapshot(loaded));
    }
}
