using System.Reflection;
using static TorchSharp.torch;

namespace Ema.Samples.Training;

/// <summary>Turns <c>--device</c> into a TorchSharp device, or into a message that says how to get one.</summary>
internal static class DeviceChoice
{
    /// <summary>The command that builds and runs the sample on an NVIDIA GPU (Linux).</summary>
    public const string CudaCommand =
        "dotnet run --project samples/Ema.Samples.Training -c Release -p:EmaTorchSharpPackage=TorchSharp-cuda-linux -- --device cuda";

    /// <summary>
    /// The TorchSharp package this build references (the csproj's EmaTorchSharpPackage, embedded as assembly
    /// metadata): the advice differs between a CPU-only build and a CUDA build on a machine without a usable GPU.
    /// </summary>
    public static string TorchSharpPackage { get; } =
        typeof(DeviceChoice).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "EmaTorchSharpPackage")?.Value ?? "unknown";

    /// <summary>The device for <paramref name="name"/> ("cpu" or "cuda"), or null with <paramref name="error"/> set.</summary>
    public static Device? Select(string name, out string? error)
    {
        error = null;
        if (name != "cuda")
        {
            return CPU;
        }

        if (cuda.is_available())
        {
            return CUDA;
        }

        error = TorchSharpPackage.StartsWith("TorchSharp-cuda", StringComparison.Ordinal)
            ? $"--device cuda: TorchSharp sees no CUDA device here, although this build references {TorchSharpPackage}. Check that the machine has an NVIDIA GPU and a driver recent enough for TorchSharp's CUDA libraries (nvidia-smi), or run with --device cpu."
            : $"--device cuda: TorchSharp sees no CUDA device here: this build references {TorchSharpPackage}, which has no CUDA support. On a machine with an NVIDIA GPU, build with a CUDA TorchSharp: {CudaCommand} (TorchSharp-cuda-windows on Windows).";
        return null;
    }
}
