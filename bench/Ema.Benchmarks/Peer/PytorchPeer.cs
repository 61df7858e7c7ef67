using System.Diagnostics;
using System.Text.Json;

namespace Ema.Benchmarks.Peer;

/// <summary>Runs bench/pytorch_peer.py with a Python that has torch, if this machine has one.</summary>
internal static class PytorchPeer
{
    /// <summary>The peer's timings, or null with the reason it was skipped.</summary>
    public static (PeerResult? Result, string? SkipReason) Run(string shapesPath, int threads, int rounds)
    {
        string? python = FindPythonWithTorch();
        if (python is null)
        {
            return (null, "skipped: no Python with torch");
        }

        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_peer.py");
        (int exit, string stdout, string stderr) = Execute(python,
            [script, "--shapes", shapesPath, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--rounds", rounds.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(8));
        if (exit != 0)
        {
            return (null, $"failed: {python} exited {exit}: {stderr.Trim()}");
        }

        string json = stdout.Trim().Split('\n')[^1];
        using JsonDocument doc = JsonDocument.Parse(json);
        var cases = new Dictionary<string, PeerCase>();
        foreach (JsonProperty c in doc.RootElement.GetProperty("cases").EnumerateObject())
        {
            Dictionary<string, double> forms = c.Value.GetProperty("forms").EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetDouble());
            cases[c.Name] = new PeerCase(forms, c.Value.GetProperty("floor_ms").GetDouble());
        }

        return (new PeerResult(doc.RootElement.GetProperty("torch").GetString()!, python, cases), null);
    }

    /// <summary>
    /// Debian's python3-torch lives under /usr/bin/python3, while PATH may start with a Python without torch
    /// (pyenv), so /usr/bin/python3 is tried explicitly and then each python3 on PATH.
    /// </summary>
    private static string? FindPythonWithTorch()
    {
        IEnumerable<string> onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "python3"));
        foreach (string candidate in new[] { "/usr/bin/python3" }.Concat(onPath).Distinct())
        {
            if (File.Exists(candidate) && Execute(candidate, ["-c", "import torch"], TimeSpan.FromMinutes(1)).Exit == 0)
            {
                return candidate;
            }
        }

        return null;
    }

    private static (int Exit, string Stdout, string Stderr) Execute(string file, string[] args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout.Result, "timed out");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
