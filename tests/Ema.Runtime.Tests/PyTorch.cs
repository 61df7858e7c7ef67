using System.Diagnostics;

namespace Ema.Runtime.Tests;

/// <summary>
/// Debian's PyTorch (<c>/usr/bin/python3</c> with python3-torch; <c>EMA_PYTHON</c> names another interpreter) for the
/// live round-trip tests. Where <c>import torch</c> fails, those tests are skipped with the reason in the test report.
/// </summary>
internal static class PyTorch
{
    private static readonly Lazy<string?> s_unavailable = new(Probe);

    public static string Python => Environment.GetEnvironmentVariable("EMA_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3";

    /// <summary>Why PyTorch cannot be used, or null when it can.</summary>
    public static string? Unavailable => s_unavailable.Value;

    /// <summary>Runs a script of tests/fixtures/pth with arguments; returns its standard output and fails the test on a non-zero exit.</summary>
    public static string Run(string script, params string[] arguments) => RunIn("pth", script, arguments);

    /// <summary>Runs a script of tests/fixtures/<paramref name="folder"/> with arguments; as <see cref="Run"/>.</summary>
    public static string RunIn(string folder, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Ema.Testing.RepositoryRoot.Find(), "tests", "fixtures", folder, script));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill();
            throw new TimeoutException($"{script} did not finish within 5 minutes.");
        }

        Assert.True(process.ExitCode == 0, $"{script} failed with exit code {process.ExitCode}: {error.Result}");
        return output;
    }

    private static string? Probe()
    {
        try
        {
            var start = new ProcessStartInfo(Python, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using Process process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"PyTorch is not importable by {Python} ({error.Trim().Split('\n').LastOrDefault()}): install python3-torch (apt) or set EMA_PYTHON";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} cannot be started ({e.Message}): install python3-torch (apt) or set EMA_PYTHON";
        }
    }
}

/// <summary>A test that needs PyTorch: skipped, with the reason, where <c>import torch</c> fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PyTorchFactAttribute : FactAttribute
{
    public PyTorchFactAttribute()
    {
        if (PyTorch.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
