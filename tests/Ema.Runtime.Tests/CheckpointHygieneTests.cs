using System.Diagnostics;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>Temporary files of killed saves are removed by the next save of the same target; live ones never.</summary>
public sealed class CheckpointHygieneTests
{
    private static int DeadProcessId()
    {
        using Process process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exit 0"]))!;
        process.WaitForExit();
        return process.Id;
    }

    [Theory]
    [InlineData("ckpt_latest.safetensors")]
    [InlineData("ckpt_latest.pth")]
    public void A_save_removes_stale_temporaries_of_its_target_and_keeps_live_and_foreign_ones(string name)
    {
        using var dir = new TempDir();
        string Temp(int pid) => dir.File($".{name}.{pid}.{Guid.NewGuid():N}.tmp");
        string stale = Temp(DeadProcessId());
        string live = Temp(Environment.ProcessId); // a save of this process still running
        string otherTarget = dir.File($".ckpt_best.pth.{DeadProcessId()}.{Guid.NewGuid():N}.tmp");
        string withoutPid = dir.File($".{name}.{Guid.NewGuid():N}.tmp"); // an older Ema's: its writer cannot be told
        foreach (string file in new[] { stale, live, otherTarget, withoutPid })
        {
            File.WriteAllBytes(file, new byte[16]);
        }

        using var model = new LinearBatchNorm();
        Checkpoint.Save(dir.File(name), model);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(withoutPid));
        Assert.Equal("net", Checkpoint.LoadForInference(model, dir.File(name)));
    }
}
