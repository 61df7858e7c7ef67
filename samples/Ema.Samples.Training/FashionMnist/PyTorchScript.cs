using System.Diagnostics;
using System.Text.Json;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>
/// Runs fashion_mnist_peer.py (bench/, copied beside the sample) with Debian's PyTorch: <c>/usr/bin/python3</c>, or
/// the interpreter <c>EMA_PYTHON</c> names, where it imports torch.
/// </summary>
internal static class PyTorchScript
{
    public static string Python => Environment.GetEnvironmentVariable("EMA_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3";

    /// <summary>Why PyTorch cannot be used here, or null when it can.</summary>
    public static string? Unavailable()
    {
        try
        {
            (int exit, _, string error) = Execute(["-c", "import torch"]);
            return exit == 0 ? null : $"PyTorch is not importable by {Python} ({error.Trim().Split('\n')[^1]}): install python3-torch (apt) or set EMA_PYTHON";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} cannot be started ({e.Message}): install python3-torch (apt) or set EMA_PYTHON";
        }
    }

    /// <summary>Runs the script with <paramref name="arguments"/>; returns its last output line as JSON, or throws with its error output.</summary>
    public static JsonDocument Run(params string[] arguments)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "fashion_mnist_peer.py");
        (int exit, string output, string error) = Execute([script, .. arguments]);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{Python} {script} {string.Join(' ', arguments)} exited {exit}: {error.Trim()}");
        }

        return JsonDocument.Parse(output.Trim().Split('\n')[^1]);
    }

    private static (int Exit, string Output, string Error) Execute(string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(20)))
        {
            process.Kill();
            throw new TimeoutException($"{Python} {string.Join(' ', arguments)} did not finish within 20 minutes.");
        }

        return (process.ExitCode, output, error.Result);
    }
}
