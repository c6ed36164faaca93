using Engine.Backends;

namespace Engine.Nn.Optim;

/// <summary>
/// AdamW with PyTorch's semantics (torch.optim.AdamW, single-tensor path): decoupled weight decay
/// p *= 1 - lr*wd, first moment by lerp, bias corrections computed in double from a per-parameter step count, and
/// denom = sqrt(v)/sqrt(1-b2^t) + eps. A parameter whose gradient is null is skipped entirely (no weight decay, no
/// state, no step count), exactly like torch. State keys: "name.exp_avg", "name.exp_avg_sq", "name.step".
/// </summary>
public sealed class AdamW : Optimizer
{
    private sealed class State { public required Tensor ExpAvg; public required Tensor ExpAvgSq; public long Step; }
    private readonly Dictionary<string, State> _state = new(StringComparer.Ordinal);

    public AdamW(IEnumerable<(string name, Parameter parameter)> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        : this(OneGroup(parameters), lr, beta1, beta2, eps, weightDecay) { }

    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        : base(groups, lr, weightDecay)
    {
        if (lr < 0 || eps < 0 || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || weightDecay < 0)
            throw new ArgumentException($"AdamW: invalid hyper-parameters lr {lr}, betas ({beta1}, {beta2}), eps {eps}, weight decay {weightDecay}.");
        Beta1 = beta1; Beta2 = beta2; Eps = eps;
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    /// <summary>Steps taken by one parameter (0 if it never had a gradient).</summary>
    public long StepsOf(string name) => _state.TryGetValue(name, out var s) ? s.Step : 0;

    protected override void Update(string name, Tensor t, Tensor g, double lr, double wd)
    {
        if (!_state.TryGetValue(name, out var st))
        {
            // Made inside the caller's training-step scope, kept for every later step.
            st = new State { ExpAvg = TensorScope.Persist(Tensor.Zeros(DType.F32, t.Device, Copy(t.Shape))), ExpAvgSq = TensorScope.Persist(Tensor.Zeros(DType.F32, t.Device, Copy(t.Shape))) };
            _state[name] = st;
        }
        st.Step++;
        // Scalars as torch computes them: Python floats (double), rounded to float32 inside the kernels.
        double bc1 = 1 - Math.Pow(Beta1, st.Step), bc2 = 1 - Math.Pow(Beta2, st.Step);
        BackendRegistry.Get(t.Device).AdamWStep(t.Storage, t.Offset, g.Storage, g.Offset, st.ExpAvg.Storage, st.ExpAvg.Offset,
            st.ExpAvgSq.Storage, st.ExpAvgSq.Offset, t.Numel,
            decay: (float)(1 - lr * wd), oneMinusBeta1: (float)(1 - Beta1), beta2: (float)Beta2, oneMinusBeta2: (float)(1 - Beta2),
            eps: (float)Eps, stepSize: (float)(lr / bc1), bc2Sqrt: (float)Math.Sqrt(bc2));
    }

    private static int[] Copy(int[] s) => (int[])s.Clone();

    public override Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, st) in _state)
        {
            d[name + ".exp_avg"] = st.ExpAvg.Clone();
            d[name + ".exp_avg_sq"] = st.ExpAvgSq.Clone();
            d[name + ".step"] = Tensor.FromArray(new[] { st.Step }, 1);
        }
        return d;
    }

    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        CheckKeys(state, new[] { "exp_avg", "exp_avg_sq", "step" }, "AdamW");
        var loaded = new Dictionary<string, State>(StringComparer.Ordinal);
        foreach (var (name, p) in AllParameters())
        {
            bool any = state.ContainsKey(name + ".exp_avg") || state.ContainsKey(name + ".exp_avg_sq") || state.ContainsKey(name + ".step");
            if (!any) continue; // never stepped (no gradient so far)
            var t = p.Value;
            var m = RequireStateTensor(state, name + ".exp_avg", t.Shape, "AdamW");
            var v = RequireStateTensor(state, name + ".exp_avg_sq", t.Shape, "AdamW");
            var step = RequireStateTensor(state, name + ".step", new[] { 1 }, "AdamW").ToInt64Array()[0];
            if (m.DType != DType.F32 || v.DType != DType.F32) throw new InvalidDataException($"AdamW state of '{name}' must be float32.");
            loaded[name] = new State { ExpAvg = m.Detach().Clone().To(t.Device), ExpAvgSq = v.Detach().Clone().To(t.Device), Step = step };
        }
        _state.Clear();
        foreach (var kv in loaded) _state[kv.Key] = kv.Value;
    }
}
