using System.Runtime.InteropServices;

namespace Ema.Packaging.Tests;

/// <summary>
/// The buildTransitive task that makes TorchSharp's native library load on Debian 12, run by MSBuild itself on
/// copies of the real library and on damaged files, with a stand-in system libstdc++ that lacks GLIBCXX_3.4.32.
/// </summary>
public sealed class LibStdCxxPatchTaskTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ema-elf-").FullName;

    [Fact]
    public void The_real_library_gets_exactly_the_weak_flag_and_damaged_files_only_warnings()
    {
        string? shipped = ShippedLibrary();
        if (shipped is null)
        {
            Assert.False(OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64,
                "TorchSharp's libLibTorchSharp.so should be in the NuGet packages folder after the solution's restore");
            return;
        }

        byte[] original = File.ReadAllBytes(shipped);
        string good = Write("good.so", original);
        string linkTarget = Write("cache-copy.so", original);
        string linked = Path.Combine(_directory, "linked.so");
        Assert.Equal(0, Link(linkTarget, linked)); // stands for an output file hard-linked into the NuGet cache
        string truncated = Write("truncated.so", original[..65536]);
        string garbage = Write("garbage.so", Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray());
        string fakeSystem = Write("libstdc++.so.6", "GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0"u8.ToArray());

        ProcessRunner.Result run = RunTask(fakeSystem, good, linked, truncated, garbage);

        Assert.True(run.ExitCode == 0, run.ToString());
        byte[] patched = File.ReadAllBytes(good);
        int[] changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        int flags = Assert.Single(changed);
        Assert.Equal(original[flags] | 0x2, patched[flags]); // VER_FLG_WEAK, nothing else
        Assert.Equal(patched, File.ReadAllBytes(linked));
        Assert.Equal(original, File.ReadAllBytes(linkTarget)); // replaced by rename, never written through the link
        Assert.Contains("truncated.so': malformed section table", run.Output, StringComparison.Ordinal);
        Assert.Contains("garbage.so': not an ELF file", run.Output, StringComparison.Ordinal);

        // A second build finds the flag set and leaves the file alone.
        DateTime stamp = File.GetLastWriteTimeUtc(good);
        Assert.True(RunTask(fakeSystem, good).ExitCode == 0);
        Assert.Equal(patched, File.ReadAllBytes(good));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(good));
    }

    [Fact]
    public void A_system_libstdcxx_that_has_the_version_leaves_the_library_as_shipped()
    {
        string? shipped = ShippedLibrary();
        if (shipped is null)
        {
            return; // checked by the test above
        }

        byte[] original = File.ReadAllBytes(shipped);
        string library = Write("library.so", original);
        string newSystem = Write("libstdc++.so.6", "GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_3.4.33\0"u8.ToArray());

        ProcessRunner.Result run = RunTask(newSystem, library);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(original, File.ReadAllBytes(library));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ProcessRunner.Result RunTask(string systemLibStdCxx, params string[] files)
    {
        string targets = Path.Combine(RepositoryRoot.Find(), "src", "Ema.Runtime", "buildTransitive", "Ema.Runtime.targets");
        string project = Path.Combine(_directory, "patch.proj");
        File.WriteAllText(project, $"""
            <Project>
              <Import Project="{targets}" />
              <Target Name="Patch">
                <EmaWeakenLibStdCxxVersions Files="{string.Join(';', files)}" Versions="GLIBCXX_3.4.32" SystemLibStdCxx="{systemLibStdCxx}" />
              </Target>
            </Project>
            """);
        return ProcessRunner.Dotnet(_directory, "msbuild", project, "-t:Patch", "-nologo", "-v:n");
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string? ShippedLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);
}
