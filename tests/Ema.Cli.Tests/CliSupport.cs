using System.Diagnostics;
using System.Text.Json.Nodes;
using Ema.Cli;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>Runs the tool in-process or as a process, and reads the checked-in layout fixtures.</summary>
internal static class CliSupport
{
    public static readonly string Layouts = Path.Combine(RepositoryRoot.Find(), "tests", "fixtures", "layouts");

    public static string Fixture(string name) => Path.Combine(Layouts, name);

    public static JsonObject Expected(string which) => (JsonObject)JsonNode.Parse(File.ReadAllText(Fixture("expected.json")))![which]!;

    public static (int Code, string Output, string Error) InProcess(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = EmaApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the built tool (Ema.Cli.dll beside the tests) with <c>dotnet</c>, as <c>dotnet tool install</c> would run it.</summary>
    public static (int Code, string Output, string Error) AsProcess(params string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "Ema.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(tool);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the ema process did not finish");
        return (process.ExitCode, output, error.Result);
    }

    /// <summary>A model's (or a file's) values as float64 by name.</summary>
    public static Dictionary<string, double[]> Values(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(p => p.Key, p => { using Tensor d = p.Value.to(ScalarType.Float64).flatten(); return d.data<double>().ToArray(); });

    public static void AssertValues(JsonObject expected, Dictionary<string, double[]> actual)
    {
        Assert.Equal(expected.Select(p => p.Key).Order(), actual.Keys.Order());
        foreach ((string name, JsonNode? values) in expected)
        {
            Assert.Equal(values!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), actual[name]);
        }
    }

    /// <summary>Trains a <see cref="LinearBatchNorm"/> for 8 SGD steps with a post-hoc EMA snapshotting every 2 steps into <paramref name="snapshots"/>.</summary>
    public static void WriteSnapshots(string snapshots)
    {
        using var model = new LinearBatchNorm();
        using var post = new PostHocEma(model, new PostHocEmaOptions { SnapshotDirectory = snapshots, SnapshotEvery = 2 });
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        for (long step = 1; step <= 8; step++)
        {
            optimizer.zero_grad();
            using Tensor loss = model.call(randn(5, 3)).square().sum();
            loss.backward();
            optimizer.step();
            post.Update(step, 8);
        }
    }

    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("ema-cli-tests-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
