using Engine.Backends;

namespace Engine.Nn.Optim;

/// <summary>SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD: the first step
/// initialises the momentum buffer with the gradient itself. Parameters without a gradient are skipped.
/// State key: "name.momentum_buffer".</summary>
public sealed class Sgd : Optimizer
{
    private readonly Dictionary<string, Tensor> _buffers = new(StringComparer.Ordinal);

    public Sgd(IEnumerable<(string name, Parameter parameter)> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this(OneGroup(parameters), lr, momentum, dampening, weightDecay, nesterov) { }

    public Sgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(groups, lr, weightDecay)
    {
        if (lr < 0 || momentum < 0 || weightDecay < 0) throw new ArgumentException($"Sgd: invalid lr {lr}, momentum {momentum} or weight decay {weightDecay}.");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Sgd: Nesterov momentum requires a momentum and zero dampening.");
        Momentum = momentum; Dampening = dampening; Nesterov = nesterov;
    }

    public double Momentum { get; }
    public double Dampening { get; }
    public bool Nesterov { get; }

    protected override void Update(string name, Tensor t, Tensor g, double lr, double wd)
    {
        Tensor? buf = null; bool first = false;
        if (Momentum != 0)
        {
            first = !_buffers.TryGetValue(name, out buf);
            if (first) { buf = TensorScope.Persist(Tensor.Zeros(DType.F32, t.Device, (int[])t.Shape.Clone())); _buffers[name] = buf; }
        }
        BackendRegistry.Get(t.Device).SgdStep(t.Storage, t.Offset, g.Storage, g.Offset, buf?.Storage, buf?.Offset ?? 0, t.Numel,
            (float)lr, (float)Momentum, (float)Dampening, (float)wd, Nesterov, first);
    }

    public override Dictionary<string, Tensor> StateDict()
        => _buffers.ToDictionary(kv => kv.Key + ".momentum_buffer", kv => kv.Value.Clone(), StringComparer.Ordinal);

    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        CheckKeys(state, new[] { "momentum_buffer" }, "Sgd");
        _buffers.Clear();
        foreach (var (name, p) in AllParameters())
            if (state.ContainsKey(name + ".momentum_buffer"))
                _buffers[name] = RequireStateTensor(state, name + ".momentum_buffer", p.Value.Shape, "Sgd").Detach().Clone().To(p.Value.Device);
    }
}
