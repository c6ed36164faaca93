using Engine.Autograd;
using Engine.Backends;

namespace Engine;

/// <summary>Broadcasting binary ops, scalar ops, activations, Where/MaskedFill, Dropout.</summary>
public static partial class Ops
{
    private static Tensor BinaryForward(BinaryOp op, Tensor a, Tensor b, string name)
    {
        RequireF32(a, name, "a"); RequireF32(b, name, "b"); RequireSameDevice(name, a, b);
        int[] shape;
        try { shape = Shape.Broadcast(a.Shape, b.Shape); }
        catch (ArgumentException e) { throw new ArgumentException($"{name}: {e.Message}"); }
        var y = NewF32(a.Device, shape);
        BackendOf(a).Binary(op, a.Storage, a.Offset, BroadcastStrides(a, shape), b.Storage, b.Offset, BroadcastStrides(b, shape), shape, y.Storage, y.Offset);
        return y;
    }

    public static Tensor Add(Tensor a, Tensor b)
        => BinaryForward(BinaryOp.Add, a, b, "Add").WithGrad("add", new[] { a, b }, g => new[] { GradFor(a, g), GradFor(b, g) });

    public static Tensor Sub(Tensor a, Tensor b)
        => BinaryForward(BinaryOp.Sub, a, b, "Sub").WithGrad("sub", new[] { a, b }, g => new[] { GradFor(a, g), b.RequiresGrad ? SumToShape(Neg(g), b.Shape) : null });

    public static Tensor Mul(Tensor a, Tensor b)
        => BinaryForward(BinaryOp.Mul, a, b, "Mul").WithGrad("mul", new[] { a, b }, g => new[]
        {
            a.RequiresGrad ? SumToShape(Mul(g, b.Detach()), a.Shape) : null,
            b.RequiresGrad ? SumToShape(Mul(g, a.Detach()), b.Shape) : null,
        });

    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = BinaryForward(BinaryOp.Div, a, b, "Div");
        return y.WithGrad("div", new[] { a, b }, g => new[]
        {
            a.RequiresGrad ? SumToShape(Div(g, b.Detach()), a.Shape) : null,
            // d(a/b)/db = -a/b^2 = -y/b
            b.RequiresGrad ? SumToShape(Neg(Div(Mul(g, y.Detach()), b.Detach())), b.Shape) : null,
        });
    }

    public static Tensor Maximum(Tensor a, Tensor b) => MinMax(BinaryOp.Maximum, BinaryOp.MaximumGradA, a, b, "Maximum");
    public static Tensor Minimum(Tensor a, Tensor b) => MinMax(BinaryOp.Minimum, BinaryOp.MinimumGradA, a, b, "Minimum");

    private static Tensor MinMax(BinaryOp op, BinaryOp gradOp, Tensor a, Tensor b, string name)
        => BinaryForward(op, a, b, name).WithGrad(name.ToLowerInvariant(), new[] { a, b }, g =>
        {
            // Ties split the gradient in half, as torch.maximum/minimum do.
            var share = BinaryForward(gradOp, a.Detach(), b.Detach(), name);
            var ga = Mul(g, share);
            return new[] { a.RequiresGrad ? SumToShape(ga, a.Shape) : null, b.RequiresGrad ? SumToShape(Sub(g, ga), b.Shape) : null };
        });

    // ---------------------------------------------------------------- unary

    private static Tensor UnaryForward(UnaryOp op, Tensor a, string name, float alpha = 0f, float beta = 0f)
    {
        RequireF32(a, name);
        var x = Raw(a);
        var y = NewF32(a.Device, Copy(a.Shape));
        BackendOf(a).Unary(op, x.Storage, x.Offset, y.Storage, y.Offset, y.Numel, alpha, beta);
        // A contiguous copy of a strided input is the op's own temporary unless the backward needs it; the callers that
        // record a backward reading the input go through Raw(a) again there, so the copy is never captured.
        if (!GradMode.IsEnabled) ReleaseTemp(x, a, y);
        return y;
    }

    /// <summary>Unary op whose backward is the kernel-level derivative (keeps the input and output alive).</summary>
    private static Tensor UnaryOpWithGrad(UnaryOp op, Tensor a, string name, float alpha = 0f, float beta = 0f)
    {
        var y = UnaryForward(op, a, name, alpha, beta);
        return y.WithGrad(name, new[] { a }, g =>
        {
            var x = Raw(a); var gc = Raw(g);
            var gx = NewF32(a.Device, Copy(a.Shape));
            BackendOf(a).UnaryBackward(op, x.Storage, x.Offset, y.Storage, y.Offset, gc.Storage, gc.Offset, gx.Storage, gx.Offset, gx.Numel, alpha, beta);
            return new[] { gx };
        });
    }

    public static Tensor Add(Tensor a, float s) => UnaryForward(UnaryOp.AddScalar, a, "add_scalar", s).WithGrad("add_scalar", new[] { a }, g => new[] { g });
    public static Tensor Mul(Tensor a, float s) => UnaryForward(UnaryOp.MulScalar, a, "mul_scalar", s).WithGrad("mul_scalar", new[] { a }, g => new[] { Mul(g, s) });
    public static Tensor RSub(float s, Tensor a) => UnaryForward(UnaryOp.RSub, a, "rsub", s).WithGrad("rsub", new[] { a }, g => new[] { Neg(g) });
    public static Tensor RDiv(float s, Tensor a) => UnaryOpWithGrad(UnaryOp.RDiv, a, "rdiv", s);
    public static Tensor Pow(Tensor a, float exponent) => UnaryOpWithGrad(UnaryOp.Pow, a, "pow", exponent);
    public static Tensor Neg(Tensor a) => UnaryForward(UnaryOp.Neg, a, "neg").WithGrad("neg", new[] { a }, g => new[] { Neg(g) });
    public static Tensor Exp(Tensor a) => UnaryOpWithGrad(UnaryOp.Exp, a, "exp");
    public static Tensor Log(Tensor a) => UnaryOpWithGrad(UnaryOp.Log, a, "log");
    public static Tensor Sqrt(Tensor a) => UnaryOpWithGrad(UnaryOp.Sqrt, a, "sqrt");
    public static Tensor Rsqrt(Tensor a) => UnaryOpWithGrad(UnaryOp.Rsqrt, a, "rsqrt");
    public static Tensor Abs(Tensor a) => UnaryOpWithGrad(UnaryOp.Abs, a, "abs");
    public static Tensor Square(Tensor a) => UnaryOpWithGrad(UnaryOp.Square, a, "square");
    public static Tensor Tanh(Tensor a) => UnaryOpWithGrad(UnaryOp.Tanh, a, "tanh");
    public static Tensor Sigmoid(Tensor a) => UnaryOpWithGrad(UnaryOp.Sigmoid, a, "sigmoid");
    public static Tensor Relu(Tensor a) => UnaryOpWithGrad(UnaryOp.Relu, a, "relu");
    /// <summary>Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)).</summary>
    public static Tensor Gelu(Tensor a) => UnaryOpWithGrad(UnaryOp.Gelu, a, "gelu");
    /// <summary>GELU, tanh approximation.</summary>
    public static Tensor GeluTanh(Tensor a) => UnaryOpWithGrad(UnaryOp.GeluTanh, a, "gelu_tanh");
    /// <summary>x * sigmoid(1.702 x) (OpenAI CLIP).</summary>
    public static Tensor QuickGelu(Tensor a) => UnaryOpWithGrad(UnaryOp.QuickGelu, a, "quick_gelu");

    /// <summary>The activations a fused Linear epilogue can apply, by kind: Relu, Gelu, GeluTanh, QuickGelu, Sigmoid, Tanh.</summary>
    public static Tensor Activate(Tensor a, UnaryOp activation) => activation switch
    {
        UnaryOp.Relu => Relu(a),
        UnaryOp.Gelu => Gelu(a),
        UnaryOp.GeluTanh => GeluTanh(a),
        UnaryOp.QuickGelu => QuickGelu(a),
        UnaryOp.Sigmoid => Sigmoid(a),
        UnaryOp.Tanh => Tanh(a),
        _ => throw new ArgumentException($"Activate: {activation} is not an activation (Relu, Gelu, GeluTanh, QuickGelu, Sigmoid, Tanh)."),
    };

    internal static bool IsActivation(UnaryOp op) => op is UnaryOp.Relu or UnaryOp.Gelu or UnaryOp.GeluTanh or UnaryOp.QuickGelu or UnaryOp.Sigmoid or UnaryOp.Tanh;

    public static Tensor Clamp(Tensor a, float min, float max)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} is greater than max {max}.");
        return UnaryOpWithGrad(UnaryOp.Clamp, a, "clamp", min, max);
    }

    // ---------------------------------------------------------------- selection

    /// <summary>mask ? a : b (mask: Bool/U8 or float != 0), broadcasting.</summary>
    public static Tensor Where(Tensor mask, Tensor a, Tensor b)
    {
        RequireF32(a, "Where", "a"); RequireF32(b, "Where", "b"); RequireSameDevice("Where", a, b);
        int[] shape;
        try { shape = Shape.Broadcast(Shape.Broadcast(mask.Shape, a.Shape), b.Shape); }
        catch (ArgumentException e) { throw new ArgumentException($"Where: mask {Shape.Format(mask.Shape)}, a {Shape.Format(a.Shape)}, b {Shape.Format(b.Shape)}: {e.Message}"); }
        var m = MaskAsFloat(mask, a.Device, "Where");
        var y = NewF32(a.Device, shape);
        BackendOf(a).Where(m.Storage, m.Offset, BroadcastStrides(m, shape), a.Storage, a.Offset, BroadcastStrides(a, shape),
                           b.Storage, b.Offset, BroadcastStrides(b, shape), shape, y.Storage, y.Offset);
        return y.WithGrad("where", new[] { a, b }, g =>
        {
            var zero = Tensor.Zeros(DType.F32, g.Device, 1);
            return new[]
            {
                a.RequiresGrad ? SumToShape(Where(m, g, zero), a.Shape) : null,
                b.RequiresGrad ? SumToShape(Where(m, zero, g), b.Shape) : null,
            };
        });
    }

    /// <summary>a with <paramref name="value"/> where mask is set; mask broadcasts to a's shape.</summary>
    public static Tensor MaskedFill(Tensor a, Tensor mask, float value)
    {
        var shape = Shape.Broadcast(a.Shape, mask.Shape);
        if (!shape.SameAs(a.Shape)) throw new ArgumentException($"MaskedFill: mask {Shape.Format(mask.Shape)} does not broadcast to the input {Shape.Format(a.Shape)}.");
        var fill = Tensor.Full(value, 1).To(a.Device);
        return Where(mask, fill, a);
    }

    /// <summary>Inverted dropout; identity when not training or p == 0.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Random rng)
    {
        if (p < 0f || p > 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability {p} is outside [0, 1].");
        if (!training || p == 0f) return x;
        RequireF32(x, "Dropout");
        var keep = new float[x.Numel];
        float scale = p >= 1f ? 0f : 1f / (1f - p);
        for (int i = 0; i < keep.Length; i++) keep[i] = rng.NextDouble() >= p ? scale : 0f;
        return Mul(x, Tensor.FromArray(keep, Copy(x.Shape)).To(x.Device));
    }
}
