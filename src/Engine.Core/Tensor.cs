using Engine.Autograd;

namespace Engine;

/// <summary>
/// A strided view of a <see cref="Storage"/>: shape, strides (in elements) and offset. View ops (Reshape of a
/// contiguous tensor, Permute, Transpose, Slice, Select, Expand, Unsqueeze, Squeeze) share the storage; everything
/// else allocates. Float32 tensors take part in autograd: a leaf with <see cref="RequiresGrad"/> receives
/// <see cref="Grad"/>; non-leaf tensors carry the <see cref="GradFn"/> that made them.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] _shape;
    private readonly long[] _strides;

    public Tensor(Storage storage, int[] shape, long[]? strides = null, long offset = 0)
    {
        foreach (var d in shape) if (d < 0) throw new ArgumentException($"Negative dimension in shape {Engine.Shape.Format(shape)}.");
        Storage = storage;
        _shape = shape;
        _strides = strides ?? Engine.Shape.ContiguousStrides(shape);
        if (_strides.Length != shape.Length) throw new ArgumentException("Strides and shape differ in rank.");
        Offset = offset;
        if (Numel > 0)
        {
            long max = offset;
            for (int i = 0; i < shape.Length; i++) max += (long)(shape[i] - 1) * Math.Max(0, _strides[i]);
            if (max >= storage.Length || offset < 0)
                throw new ArgumentException($"View {Engine.Shape.Format(shape)} at offset {offset} reaches past its storage of {storage.Length} elements.");
        }
    }

    public Storage Storage { get; }
    public int[] Shape => _shape;
    public long[] Strides => _strides;
    public long Offset { get; }
    public int Rank => _shape.Length;
    public long Numel => Engine.Shape.Numel(_shape);
    public DType DType => Storage.DType;
    public Device Device => Storage.Device;
    /// <summary>Optional label (parameter name) used in error messages and the profiler.</summary>
    public string? Name { get; set; }

    public int Size(int axis) => _shape[Engine.Shape.Axis(axis, Rank)];

    public bool IsContiguous
    {
        get
        {
            long acc = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != acc) return false;
                acc *= _shape[i];
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- autograd state

    private bool _requiresGrad;

    /// <summary>True for a parameter that wants a gradient, or for any result computed from one while recording.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (value && DType != DType.F32) throw new InvalidOperationException($"Only float32 tensors can require grad (this one is {DType}).");
            if (!value && GradFn != null) throw new InvalidOperationException("Cannot clear RequiresGrad on a non-leaf tensor; use Detach().");
            _requiresGrad = value;
        }
    }

    public Node? GradFn { get; private set; }
    public bool IsLeaf => GradFn is null;
    public Tensor? Grad { get; set; }
    /// <summary>Keep the gradient of this non-leaf tensor in <see cref="Grad"/> during backward (like retain_grad).</summary>
    public bool RetainsGrad { get; set; }

    /// <summary>Records <paramref name="backward"/> as the way to differentiate <c>this</c> when recording is on and
    /// any input requires grad. Ops call this right after computing their result; returns <c>this</c>.</summary>
    public Tensor WithGrad(string opName, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.IsEnabled) return this;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return this;
        GradFn = new Node(opName, inputs, backward);
        _requiresGrad = true;
        return this;
    }

    /// <summary>Runs reverse-mode differentiation from this tensor (a scalar unless a seed is given).</summary>
    public void Backward(Tensor? seed = null) => BackwardEngine.Run(this, seed);

    internal void AccumulateGrad(Tensor g)
    {
        if (Grad is null) Grad = g.IsContiguous && !ReferenceEquals(g.Storage, Storage) ? g : g.Clone();
        else Grad = Ops.Add(Grad, g);
    }

    public void ZeroGrad() => Grad = null;

    /// <summary>Same data, cut from the graph.</summary>
    public Tensor Detach() => new(Storage, _shape, _strides, Offset) { Name = Name };

    /// <summary>Scope in which no op records: <c>using (Tensor.NoGrad()) { ... }</c>.</summary>
    public static IDisposable NoGrad() => GradMode.Disable();

    public void Dispose() => Storage.Dispose();

    public override string ToString() => $"Tensor{Engine.Shape.Format(_shape)} {DType} on {Device}{(RequiresGrad ? " requires_grad" : "")}";
}
