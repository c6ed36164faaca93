namespace Engine;

public sealed partial class Tensor
{
    [ThreadStatic] private static int t_withoutRandomInit;

    /// <summary>Within the returned scope (on this thread) <see cref="Uniform"/> and <see cref="Randn"/> return zeros
    /// without drawing from the generator, which is left where it was. For modules built only to receive a
    /// checkpoint: strict loading then replaces every parameter, and drawing the initial values was wasted - 150 M of
    /// them, about 2 s of a 4 s CLIPSeg load.</summary>
    public static IDisposable WithoutRandomInit()
    {
        t_withoutRandomInit++;
        return new RandomInitScope();
    }

    private static bool SkipRandomInit => t_withoutRandomInit > 0;

    private sealed class RandomInitScope : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_withoutRandomInit--;
        }
    }
}
