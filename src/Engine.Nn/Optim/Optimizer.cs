namespace Engine.Nn.Optim;

/// <summary>
/// Base of the optimisers: parameter groups, a learning rate that schedules change between steps, ZeroGrad, and
/// state save/load as a flat tensor dictionary (key = "parameter name.state name") for checkpoint-resume.
/// Updates happen in place on <c>Parameter.Value</c> through the backend kernels, on whatever device it lives.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<ParamGroup> groups, double learningRate, double weightDecay)
    {
        Groups = groups.ToList();
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in Groups)
            foreach (var (name, _) in g.Parameters)
                if (!seen.Add(name)) throw new ArgumentException($"Parameter '{name}' appears twice in the optimiser's groups.");
    }

    /// <summary>Wraps NamedParameters (or any named list) as a single group.</summary>
    protected static IEnumerable<ParamGroup> OneGroup(IEnumerable<(string name, Parameter parameter)> parameters) => new[] { new ParamGroup(parameters) };

    public IReadOnlyList<ParamGroup> Groups { get; }
    public double LearningRate { get; set; }
    /// <summary>Weight decay of groups that do not set their own.</summary>
    public double WeightDecay { get; }

    public IEnumerable<(string name, Parameter parameter)> AllParameters() => Groups.SelectMany(g => g.Parameters);

    /// <summary>One update of every parameter that has a gradient (one without is skipped entirely: no decay, no state,
    /// and caches derived from it stay valid), with its group's learning rate and weight decay.</summary>
    public void Step()
    {
        using var _ = Tensor.NoGrad();
        foreach (var group in Groups)
        {
            double lr = LearningRate * group.LrScale, wd = group.WeightDecay ?? WeightDecay;
            foreach (var (name, p) in group.Parameters)
            {
                var g = GradOf(name, p);
                if (g is null) continue;
                p.MarkModified();
                Update(name, p.Value, g, lr, wd);
            }
        }
    }

    /// <summary>Updates one parameter in place from its (checked, contiguous) gradient.</summary>
    protected abstract void Update(string name, Tensor parameter, Tensor grad, double lr, double weightDecay);

    /// <summary>Drops every gradient (a parameter without a gradient is skipped by the next step).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in AllParameters()) p.Value.Grad = null;
    }

    public abstract Dictionary<string, Tensor> StateDict();
    public abstract void LoadStateDict(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>The parameter's gradient, checked against it, or null when it has none.</summary>
    protected static Tensor? GradOf(string name, Parameter p)
    {
        var t = p.Value; var g = t.Grad;
        if (g is null) return null;
        if (!g.Shape.SameAs(t.Shape)) throw new InvalidOperationException($"Gradient of '{name}' has shape {Shape.Format(g.Shape)}, parameter has {Shape.Format(t.Shape)}.");
        if (g.Device != t.Device) throw new InvalidOperationException($"Gradient of '{name}' is on {g.Device}, parameter on {t.Device}.");
        if (!t.IsContiguous) throw new InvalidOperationException($"Parameter '{name}' is not contiguous; optimisers update contiguous parameters in place.");
        return g.Contiguous();
    }

    /// <summary>Checks that every key of a loaded state belongs to a known parameter and state name.</summary>
    protected void CheckKeys(IReadOnlyDictionary<string, Tensor> state, string[] stateNames, string source)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in AllParameters()) foreach (var s in stateNames) known.Add(name + "." + s);
        var unexpected = state.Keys.Where(k => !known.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0) throw new InvalidDataException($"{source} optimiser state has keys for unknown parameters: {string.Join(", ", unexpected.Take(20))}{(unexpected.Count > 20 ? ", ..." : "")}.");
    }

    protected static Tensor RequireStateTensor(IReadOnlyDictionary<string, Tensor> state, string key, int[] shape, string source)
    {
        if (!state.TryGetValue(key, out var t)) throw new InvalidDataException($"{source} optimiser state lacks '{key}'.");
        if (!t.Shape.SameAs(shape)) throw new InvalidDataException($"{source} optimiser state '{key}' has shape {Shape.Format(t.Shape)}, expected {Shape.Format(shape)}.");
        return t;
    }
}
