namespace Engine.Backends;

/// <summary>Elementwise one-input kernels. Scalar parameters travel in <c>alpha</c>/<c>beta</c> (named per op).</summary>
public enum UnaryOp
{
    Neg,
    /// <summary>x + alpha.</summary>
    AddScalar,
    /// <summary>x * alpha.</summary>
    MulScalar,
    /// <summary>alpha - x.</summary>
    RSub,
    /// <summary>alpha / x.</summary>
    RDiv,
    /// <summary>x ^ alpha.</summary>
    Pow,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Abs,
    Square,
    Tanh,
    Sigmoid,
    Relu,
    /// <summary>Exact GELU with erf.</summary>
    Gelu,
    GeluTanh,
    /// <summary>x * sigmoid(1.702 x).</summary>
    QuickGelu,
    /// <summary>min(max(x, alpha), beta).</summary>
    Clamp,
}

/// <summary>Elementwise two-input kernels (broadcast through strides).</summary>
public enum BinaryOp
{
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    /// <summary>Share of the gradient of maximum(a, b) that goes to a: 1 if a &gt; b, 0.5 if equal, else 0.</summary>
    MaximumGradA,
    /// <summary>Share of the gradient of minimum(a, b) that goes to a: 1 if a &lt; b, 0.5 if equal, else 0.</summary>
    MinimumGradA,
    /// <summary>Elementwise BCE with logits: max(a, 0) - a b + log(1 + exp(-|a|)), a = logit, b = target.</summary>
    BceWithLogits,
}
