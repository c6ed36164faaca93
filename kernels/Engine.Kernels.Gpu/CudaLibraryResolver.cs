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

    /// <summary>True when the driver library can be loaded the way ILGPU will load it (Linux; elsewhere ILGPU's own
    /// lookup is trusted). Lets a GPU-less report say "no driver" rather than "no GPU".</summary>
    public static bool DriverLoadable() =>
        !OperatingSystem.IsLinux() || Resolve("cuda", typeof(ILGPU.Context).Assembly, null) != IntPtr.Zero;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!OperatingSystem.IsLinux() || !name.Equals("cuda", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (var candidate in new[] { "libcuda.so", "libcuda.so.1" })
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle)) return handle;
        // Containers often mount the driver outside the loader's cache (the NVIDIA container runtime's
        // /usr/local/nvidia, WSL's /usr/lib/wsl/lib); look there before calling the machine GPU-less.
        foreach (var dir in new[] { "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/wsl/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64" })
        {
            string path = Path.Combine(dir, "libcuda.so.1");
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
