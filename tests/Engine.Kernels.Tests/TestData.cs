namespace Engine.Kernels.Tests;

/// <summary>Deterministic random inputs and tolerance checks shared by the kernel tests.</summary>
internal static class TestData
{
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>Asserts |actual - expected| <= atol + rtol * |expected| everywhere, naming the first bad index.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float atol, float rtol, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(a) || Math.Abs(a - e) > atol + rtol * Math.Abs(e))
                Xunit.Assert.Fail($"{what}: index {i}: expected {e}, got {a} (atol {atol}, rtol {rtol})");
        }
    }

    /// <summary>Runs body with <see cref="Engine.Kernels.Cpu.KernelThreading.MaxThreads"/> set to threads, restoring it after.</summary>
    public static void WithThreads(int threads, Action body)
    {
        int saved = Engine.Kernels.Cpu.KernelThreading.MaxThreads;
        Engine.Kernels.Cpu.KernelThreading.MaxThreads = threads;
        try { body(); }
        finally { Engine.Kernels.Cpu.KernelThreading.MaxThreads = saved; }
    }
}
