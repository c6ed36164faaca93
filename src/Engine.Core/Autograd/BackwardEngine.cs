namespace Engine.Autograd;

/// <summary>Reverse-mode sweep over the recorded graph: topological order from the root, gradients summed per
/// tensor, leaf gradients accumulated into <see cref="Tensor.Grad"/> (so several backward calls accumulate).</summary>
internal static class BackwardEngine
{
    public static void Run(Tensor root, Tensor? seed)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException("backward() on a tensor that does not require grad (was it computed under NoGrad, or from frozen parameters only?).");
        seed ??= root.Numel == 1
            ? Tensor.Full(1f, root.Shape).To(root.Device)
            : throw new InvalidOperationException($"backward() without a seed gradient needs a scalar output, got shape {Shape.Format(root.Shape)}.");
        if (!seed.Shape.AsSpan().SequenceEqual(root.Shape)) throw new ArgumentException($"Seed gradient shape {Shape.Format(seed.Shape)} differs from output shape {Shape.Format(root.Shape)}.");

        // Topological order (iterative DFS; graphs of deep models overflow a recursive one).
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((root, 0)); visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs ?? Array.Empty<Tensor>();
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }

        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        using var _ = GradMode.Disable();
        using var phase = Profiling.OpProfiler.IsEnabled ? Profiling.OpProfiler.Phase("backward") : null;
        // Gradient buffers born in this sweep go back to the pool as soon as no pending gradient uses them, so the
        // sweep reuses warm memory instead of growing the heap; the scope releases whatever is left at the end.
        // Only leaf (and retained) gradients survive; buffers from before the sweep are never touched.
        using var scope = TensorScope.Begin();
        var pending = new Dictionary<Storage, int>(ReferenceEqualityComparer.Instance);
        void Hold(Tensor g) => pending[g.Storage] = pending.TryGetValue(g.Storage, out var n) ? n + 1 : 1;
        void Drop(Tensor g) { if (pending.TryGetValue(g.Storage, out var n)) { if (n <= 1) pending.Remove(g.Storage); else pending[g.Storage] = n - 1; } }
        var candidates = new List<Tensor>();
        Hold(seed);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            Drop(g);
            if (t.GradFn is null)
            {
                if (t.RequiresGrad) { t.AccumulateGrad(g); scope.KeepIfAny(t.Grad); }
                else candidates.Add(g);
                ReleaseUnused(scope, pending, candidates);
                continue;
            }
            if (t.RetainsGrad) { t.AccumulateGrad(g); scope.KeepIfAny(t.Grad); }
            var inGrads = t.GradFn.Backward(g);
            var inputs = t.GradFn.Inputs;
            if (inGrads.Length != inputs.Length) throw new InvalidOperationException($"Backward of {t.GradFn.Name} returned {inGrads.Length} gradients for {inputs.Length} inputs.");
            candidates.Add(g);
            for (int k = 0; k < inputs.Length; k++)
            {
                var gi = inGrads[k];
                var x = inputs[k];
                if (gi is null) continue;
                if (!x.RequiresGrad) { candidates.Add(gi); continue; }
                if (!gi.Shape.AsSpan().SequenceEqual(x.Shape))
                    throw new InvalidOperationException($"Backward of {t.GradFn.Name}: gradient for input {k} has shape {Shape.Format(gi.Shape)}, expected {Shape.Format(x.Shape)}.");
                if (grads.TryGetValue(x, out var acc))
                {
                    var sum = Ops.Add(acc, gi);
                    Drop(acc);
                    candidates.Add(acc); candidates.Add(gi);
                    grads[x] = sum; Hold(sum);
                }
                else { grads[x] = gi; Hold(gi); }
            }
            ReleaseUnused(scope, pending, candidates);
        }
    }

    /// <summary>Disposes the candidates' storages that no pending gradient shares, that were allocated in this sweep
    /// and that no leaf kept (views of one storage count as one).</summary>
    private static void ReleaseUnused(TensorScope scope, Dictionary<Storage, int> pending, List<Tensor> candidates)
    {
        foreach (var c in candidates)
            if (!pending.ContainsKey(c.Storage)) scope.ReleaseIfOwned(c.Storage);
        candidates.Clear();
    }
}
