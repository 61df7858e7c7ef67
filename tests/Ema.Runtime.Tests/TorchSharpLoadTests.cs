using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>TorchSharp's native library loads (on Debian 12 only thanks to the build's libstdc++ fix) and computes.</summary>
public sealed class TorchSharpLoadTests
{
    [Fact]
    public void Native_backend_loads_and_a_matrix_product_is_right()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        using var product = a.matmul(b);

        Assert.Equal(new float[] { 19, 22, 43, 50 }, product.data<float>().ToArray());
    }

    [Fact]
    public void Build_output_holds_a_libLibTorchSharp_that_loads_with_the_system_libstdcxx()
    {
        string library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux() || !File.Exists(library))
        {
            Assert.False(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64,
                $"expected TorchSharp's native library at {library}");
            return;
        }

        // Loading the library directly (not through TorchSharp's fallbacks) proves the build's copy is loadable.
        Assert.True(System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out IntPtr handle), $"dlopen failed for {library}");
        Assert.NotEqual(IntPtr.Zero, handle);
    }
}
