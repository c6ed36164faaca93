namespace Engine.Nn;

/// <summary>2-D convolution, weight [out, in/groups, kh, kw].</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inCh, int outCh, int kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Random? rng = null)
    {
        Kernel = kernel; Stride = stride; Padding = padding; Dilation = dilation; Groups = groups;
        rng ??= new Random(0);
        float bound = 1f / MathF.Sqrt(inCh / groups * kernel * kernel);
        Weight = AddParameter("weight", Tensor.Uniform(rng, -bound, bound, outCh, inCh / groups, kernel, kernel));
        if (bias) Bias = AddParameter("bias", Tensor.Uniform(rng, -bound, bound, outCh));
        if (IsPatchEmbedding) _packed = new PackedLinears((Weight, Bias));
    }

    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Non-overlapping windows (kernel = stride, no padding or dilation, one group): a ViT's patch embedding.
    /// Each output position then reads its own patch, so the convolution is a Linear layer over the flattened patches.</summary>
    public bool IsPatchEmbedding => Kernel == Stride && Padding == 0 && Dilation == 1 && Groups == 1;

    /// <summary>For a patch embedding: the weight packed as a Linear [out, in*k*k] (<see cref="Module.PackForInference"/>).</summary>
    private readonly PackedLinears? _packed;

    public Tensor Forward(Tensor x) => Ops.Conv2d(x, Weight.Value, Bias?.Value, (Stride, Stride), (Padding, Padding), (Dilation, Dilation), Groups);

    /// <summary>The output as a token sequence, <c>conv(x).flatten(2).transpose(1, 2)</c>: [B, OH*OW, out], as ViT
    /// patch embeddings use it. A packed patch embedding at inference runs it as one GEMM of the flattened patches
    /// [B*OH*OW, in*k*k] against the packed weight, which is the token layout directly: the im2col GEMM would instead
    /// re-pack the weight (the GEMM's A side) on every call and stream all of it past each few output columns, and the
    /// result would still need a transposing copy (in a 224 px ViT-B/16 forward 1.8-2.7 ms plus the copy against
    /// 1.4-1.6 ms).</summary>
    public Tensor ForwardTokens(Tensor x)
    {
        if (_packed is not null && x.Rank == 4 && _packed.Accepts(x.Shape[0] * (x.Shape[2] / Kernel) * (x.Shape[3] / Kernel), x.Device)
            && _packed.TryForward(Patches(x)) is { } tokens)
            return tokens;
        return Forward(x).Flatten(2).Transpose(1, 2);
    }

    /// <summary>[B, C, H, W] -> [B, (H/k)*(W/k), C*k*k]: patch (i, j) as a row in the weight's (c, u, v) order; rows and
    /// columns past the last whole patch are dropped, as the convolution drops them.</summary>
    private Tensor Patches(Tensor x)
    {
        int b = x.Shape[0], c = x.Shape[1], k = Kernel;
        if (c != Weight.Shape[1])
            throw new ArgumentException($"Conv2d: input {Shape.Format(x.Shape)} has {c} channels, the weight {Shape.Format(Weight.Shape)} expects {Weight.Shape[1]}.");
        int gh = x.Shape[2] / k, gw = x.Shape[3] / k;
        if (gh == 0 || gw == 0)
            throw new ArgumentException($"Conv2d: input {Shape.Format(x.Shape)} is smaller than one {k}x{k} window.");
        if (x.Shape[2] != gh * k) x = x.Narrow(2, 0, gh * k);
        if (x.Shape[3] != gw * k) x = x.Narrow(3, 0, gw * k);
        return x.Contiguous().Reshape(b, c, gh, k, gw, k).Permute(0, 2, 4, 1, 3, 5).Reshape(b, gh * gw, c * k * k);
    }

    protected override void OnPackForInference() => _packed?.Pack();
}
