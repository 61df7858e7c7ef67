using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// A snapshot whose metadata holds a sigma_rel or step no PostHocEma writes (a damaged or hand-edited file) is
/// refused naming the file and the key. Before, an out-of-range sigma_rel in a snapshot was reported as the caller's
/// argument ("sigma_rel = 9.05 is outside the allowed range (Parameter 'sigmaRel')", when 0.08 was asked for), and a
/// step-0 snapshot was used.
/// </summary>
public sealed class SnapshotMetadataTests
{
    [Theory]
    [InlineData("\"sigma_rel\":\"0.05\"", "\"sigma_rel\":\"9.05\"", "sigma_rel", "9.05")]
    [InlineData("\"sigma_rel\":\"0.05\"", "\"sigma_rel\":\"-0.5\"", "sigma_rel", "-0.5")]
    [InlineData("\"step\":\"4\"", "\"step\":\"0\"", "step", "0")]
    public void A_snapshot_with_metadata_no_run_writes_is_refused_naming_the_file_and_key(string original, string damaged, string key, string value)
    {
        using var dir = new TrainingSupport.TempDir();
        using (var model = new LinearBatchNorm())
        {
            using var post = new PostHocEma(model, new PostHocEmaOptions { SnapshotDirectory = dir.Path, SnapshotEvery = 2 });
            for (long step = 1; step <= 8; step++)
            {
                post.Update(step, 8);
            }
        }

        string file = Directory.GetFiles(dir.Path).Single(f => f.EndsWith("sigma_rel-0.05-step-000000000004.safetensors", StringComparison.Ordinal));
        string header = Encoding.Latin1.GetString(File.ReadAllBytes(file));
        Assert.Contains(original, header, StringComparison.Ordinal);
        File.WriteAllBytes(file, Encoding.Latin1.GetBytes(header.Replace(original, damaged, StringComparison.Ordinal)));
        using var target = new LinearBatchNorm();

        var error = Assert.Throws<CheckpointException>(() => PostHocEma.Synthesize(dir.Path, 0.08, target));

        Assert.Equal(file, error.FilePath);
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }
}
