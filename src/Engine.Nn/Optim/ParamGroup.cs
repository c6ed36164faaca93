namespace Engine.Nn.Optim;

/// <summary>Parameters that share optimiser settings (e.g. "no weight decay for biases and norms"). Names are the
/// checkpoint keys (<see cref="Module.NamedParameters"/>) and key the optimiser state.</summary>
public sealed class ParamGroup
{
    public ParamGroup(IEnumerable<(string name, Parameter parameter)> parameters, double lrScale = 1.0, double? weightDecay = null)
    {
        Parameters = parameters.ToList();
        LrScale = lrScale; WeightDecay = weightDecay;
    }

    public IReadOnlyList<(string name, Parameter parameter)> Parameters { get; }
    /// <summary>This group's learning rate = optimiser learning rate * LrScale (schedules set the optimiser's).</summary>
    public double LrScale { get; set; }
    /// <summary>Overrides the optimiser's weight decay for this group when set.</summary>
    public double? WeightDecay { get; set; }
}
