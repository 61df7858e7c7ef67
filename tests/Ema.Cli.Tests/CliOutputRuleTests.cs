using System.Security.Cryptography;
using static Ema.Runtime.Tests.CliSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// The tool never writes over what it reads, and never ignores what it was told: an output that is an input (by any
/// path) and a misspelt option are refused with exit code 1 and a message, and every file is left as it was.
/// </summary>
public sealed class CliOutputRuleTests
{
    [Theory]
    [InlineData("extract", "timm_checkpoint.pth.tar", "model.pth")]
    [InlineData("extract", "plain.safetensors", "model.safetensors")]
    [InlineData("convert", "timm_checkpoint.pth.tar", "model.pth")]
    public void An_output_that_is_the_input_is_refused_and_the_input_kept(string command, string fixture, string name)
    {
        using var dir = new TempDir();
        string input = dir.File(name);
        File.Copy(Fixture(fixture), input);
        byte[] before = SHA256.HashData(File.ReadAllBytes(input));
        Directory.CreateDirectory(dir.File("sub"));
        File.CreateSymbolicLink(dir.File("link" + Path.GetExtension(name)), input);
        Directory.CreateSymbolicLink(dir.File("linkdir"), dir.Path);

        // The same file by its own path, a relative detour, a link to it, and a link to its directory.
        foreach (string output in new[] { input, Path.Combine(dir.Path, "sub", "..", name), dir.File("link" + Path.GetExtension(name)), Path.Combine(dir.File("linkdir"), name) })
        {
            string[] args = command == "extract" ? ["extract", input, "-o", output, "--raw"] : ["convert", input, output];
            (int code, string stdout, string error) = InProcess(args);
            Assert.True(code == 1, $"{output}: exit {code}, {stdout}");
            Assert.Contains("is the input", error, StringComparison.Ordinal);
            Assert.Contains(output, error, StringComparison.Ordinal);
            Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(input)));
        }
    }

    [Fact]
    public void Posthoc_refuses_to_write_over_one_of_its_snapshots()
    {
        using var dir = new TempDir();
        string snapshots = Path.Combine(dir.Path, "snapshots");
        WriteSnapshots(snapshots);
        string[] files = Directory.GetFiles(snapshots).Order(StringComparer.Ordinal).ToArray();
        Dictionary<string, byte[]> before = files.ToDictionary(f => f, f => SHA256.HashData(File.ReadAllBytes(f)));

        (int code, string output, string error) = InProcess("posthoc", snapshots, "--sigma-rel", "0.08", "-o", files[0]);

        Assert.True(code == 1, output);
        Assert.Contains("is the input", error, StringComparison.Ordinal);
        Assert.Equal(files, Directory.GetFiles(snapshots).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.Equal(before[f], SHA256.HashData(File.ReadAllBytes(f))));

        // Beside the snapshots (not over one) is fine, and the file is no snapshot of a later synthesis.
        (code, _, error) = InProcess("posthoc", snapshots, "--sigma-rel", "0.08", "-o", Path.Combine(snapshots, "ema_0.08.safetensors"));
        Assert.True(code == 0, error);
        (code, _, error) = InProcess("posthoc", snapshots, "--sigma-rel", "0.08", "-o", dir.File("again.safetensors"));
        Assert.True(code == 0, error);
    }

    [Theory]
    [InlineData("--rwa")]
    [InlineData("--Raw")]
    [InlineData("stray")]
    public void A_misspelt_option_or_a_stray_argument_is_refused_not_ignored(string extra)
    {
        using var dir = new TempDir();
        (int code, string output, string error) = InProcess("extract", Fixture("timm_checkpoint.pth.tar"), "-o", dir.File("out.safetensors"), extra);

        // Ignored, '--rwa' wrote the EMA where the raw weights were asked for.
        Assert.True(code == 1, output);
        Assert.Contains(extra.TrimStart('-'), error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0,08")]
    public void A_sigma_rel_that_is_no_number_names_the_option_and_the_value(string value)
    {
        using var dir = new TempDir();
        (int code, _, string error) = InProcess("posthoc", dir.Path, "--sigma-rel", value, "-o", dir.File("out.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("--sigma-rel", error, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Nullable", error, StringComparison.Ordinal);
    }
}

/// <summary>An output that cannot be written names the output, not a temporary file or a parent directory.</summary>
public sealed class CliUnwritableOutputTests
{
    [Theory]
    [InlineData("extract")]
    [InlineData("convert")]
    public void An_output_below_a_file_is_refused_naming_the_output(string command)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("afile"), "not a directory");
        string output = Path.Combine(dir.File("afile"), "out.safetensors");
        string input = Fixture("timm_checkpoint.pth.tar");
        string[] args = command == "extract" ? ["extract", input, "-o", output] : ["convert", input, output];

        (int code, _, string error) = InProcess(args);

        Assert.Equal(1, code);
        Assert.Contains($"'{output}'", error, StringComparison.Ordinal);
        Assert.Equal("not a directory", File.ReadAllText(dir.File("afile")));
    }
}
