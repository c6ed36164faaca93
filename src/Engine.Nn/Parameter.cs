namespace Engine.Nn;

/// <summary>A named slot holding a trainable tensor. Loading a checkpoint replaces <see cref="Value"/>; optimisers
/// read <c>Value.Grad</c> and update <c>Value</c> in place.</summary>
public sealed class Parameter
{
    public Parameter(Tensor value, bool requiresGrad = true)
    {
        Value = value;
        Value.RequiresGrad = requiresGrad;
    }

    public Tensor Value { get; set; }

    public bool RequiresGrad
    {
        get => Value.RequiresGrad;
        set => Value.RequiresGrad = value;
    }

    public int[] Shape => Value.Shape;

    /// <summary>Bumped whenever the value is changed in place (an optimiser step), so caches derived from it (a packed
    /// inference copy) know they are stale. Replacing <see cref="Value"/> is detected by reference.</summary>
    public int Version { get; private set; }

    /// <summary>Records an in-place change of <see cref="Value"/>.</summary>
    public void MarkModified() => Version++;

    public static implicit operator Tensor(Parameter p) => p.Value;
}

/// <summary>Which value a parameter held and at which in-place version, taken when a cache is derived from it (a packed
/// inference copy, a resized table): the cache is current while the parameter still <see cref="Matches"/>.</summary>
public readonly record struct ParameterStamp(Tensor Value, int Version)
{
    public static ParameterStamp Of(Parameter p) => new(p.Value, p.Version);

    /// <summary>Same value object (not replaced) and no in-place change since the stamp.</summary>
    public bool Matches(Parameter p) => ReferenceEquals(Value, p.Value) && Version == p.Version;
}
