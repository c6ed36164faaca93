namespace Engine.Kernels.Cpu;

internal static class KernelsAssembly { }
