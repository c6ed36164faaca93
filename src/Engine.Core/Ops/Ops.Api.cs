namespace Engine;

/// <summary>Resampling kernels of <see cref="Ops.Interpolate"/> (PyTorch's F.interpolate modes).</summary>
public enum InterpolationMode { Nearest, Bilinear, Bicubic }

/// <summary>How a loss reduces its per-element values (PyTorch's reduction argument).</summary>
public enum Reduction { None, Mean, Sum }

// The op surface agreed with the model code lives in one file per family (Ops.Elementwise.cs, Ops.MatMul.cs,
// Ops.Norm.cs, Ops.Conv.cs, Ops.Pool.cs, Ops.Interpolate.cs, Ops.Index.cs, Ops.Reduce.cs, Ops.Attention.cs,
// Ops.Loss.cs); signatures and semantics (PyTorch's, noted per op) are fixed.
