namespace Engine.Kernels.Gpu;

/// <summary>Marks a static method as a kernel entry point. <see cref="KernelCatalog"/> finds every marked method by
/// reflection, so the PTX compile test covers every kernel without a hand-kept list.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuKernelAttribute : Attribute
{
    /// <summary>True for kernels launched with an explicit <c>KernelConfig</c> (they use Group/Grid indices and
    /// shared memory); false for implicitly grouped kernels whose first parameter is an Index1D.</summary>
    public bool ExplicitlyGrouped { get; init; }
}
