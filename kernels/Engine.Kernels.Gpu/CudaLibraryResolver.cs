using System.Reflection;
using System.Runtime.InteropServices;

namespace Engine.Kernels.Gpu;

/// <summary>ILGPU imports the driver as "cuda" (libcuda.so). Many systems ship only libcuda.so.1 (the .so symlink
/// comes with the developer package), so without this fallback a machine with a working driver looks GPU-less.</summary>
internal static class CudaLibraryResolver
{
    private static int _installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) != 0) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // ILGPU (WSL) or someone else already set a resolver for the assembly; theirs stays in charge.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!OperatingSystem.IsLinux() || !name.Equals("cuda", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (var candidate in new[] { "libcuda.so", "libcuda.so.1" })
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
