namespace Engine.Autograd;

/// <summary>
/// Per-thread switch for recording. Inside <see cref="Tensor.NoGrad"/> no op records a node, so inference keeps no
/// activations alive and builds no tape.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    public static bool IsEnabled => _disabledDepth == 0;

    public static IDisposable Disable() { _disabledDepth++; return new Scope(); }

    private sealed class Scope : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { _done = true; _disabledDepth--; } }
    }
}
