using static Ema.Runtime.Tests.CliSupport;

namespace Ema.Runtime.Tests;

/// <summary>What <c>ema extract</c> writes loads in PyTorch (live: Debian's python3-torch) and equals the source's tensors.</summary>
public sealed class CliPyTorchTests
{
    [PyTorchFact]
    public void Extracted_pth_loads_in_PyTorch_and_equals_the_source_entry()
    {
        using var dir = new TempDir();
        foreach ((string file, string key, bool raw) in new[] { ("timm_checkpoint.pth.tar", "state_dict_ema", false), ("lightning_ema.ckpt", "current_model_state", true) })
        {
            string output = dir.File(key + ".pth");
            string[] args = raw ? ["extract", Fixture(file), "-o", output, "--raw"] : ["extract", Fixture(file), "-o", output];
            (int code, _, string error) = InProcess(args);
            Assert.True(code == 0, error);
            string result = PyTorch.RunIn("layouts", "compare_extracted.py", Fixture(file), key, output);
            Assert.Equal("equal 7", result.Trim());
        }
    }
}
