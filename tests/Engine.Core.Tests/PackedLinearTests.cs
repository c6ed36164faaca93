using Engine.Nn;
using Engine.Nn.Optim;
using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

/// <summary>Linear with its weight packed for inference (Module.PackForInference): same values as the plain path,
/// used only without a tape, and refreshed when an optimiser step or a load changes the weight.</summary>
public class PackedLinearTests
{
    private sealed class TwoLayers : Module
    {
        public TwoLayers()
        {
            A = Add("a", new Linear(70, 300, rng: new Random(1)));
            B = Add("b", new Linear(300, 33, bias: false, rng: new Random(2)));
        }
        public Linear A { get; }
        public Linear B { get; }
        public Tensor Forward(Tensor x) => B.Forward(Ops.Relu(A.Forward(x)));
    }

    private static float[] Infer(TwoLayers m, Tensor x)
    {
        using var _ = Tensor.NoGrad();
        return m.Forward(x).ToArray();
    }

    [Fact]
    public void PackedInferenceMatchesThePlainPath()
    {
        var x = Rand(3, 4, 50, 70); // 200 rows: above the packed path's row threshold
        var m = new TwoLayers();
        var plain = Infer(m, x);
        m.PackForInference();
        var packed = Infer(m, x);
        Close(plain, packed, 1e-5, 1e-5, "packed vs plain");
        // Few rows use the unpacked (skinny) path; still the same values.
        var small = Rand(4, 3, 70);
        var m2 = new TwoLayers();
        var plainSmall = Infer(m2, small);
        m2.PackForInference();
        Close(plainSmall, Infer(m2, small), 1e-5, 1e-5, "few rows");
    }

    [Fact]
    public void TrainingStillRecordsAndAnOptimiserStepRefreshesThePackedWeight()
    {
        var x = Rand(5, 200, 70);
        var m = new TwoLayers();
        m.PackForInference();
        // With a tape the plain path runs, so gradients flow.
        var loss = Ops.Sum(m.Forward(x));
        loss.Backward();
        Assert.NotNull(m.A.Weight.Value.Grad);
        var opt = new AdamW(m.NamedParameters(), lr: 0.05);
        opt.Step();
        var afterStep = Infer(m, x);
        var fresh = new TwoLayers();
        fresh.LoadStateDict(m.StateDict());
        Close(Infer(fresh, x), afterStep, 1e-5, 1e-5, "packed copy refreshed after the step");
        // Replacing the weight (a checkpoint load) is picked up too.
        var other = new TwoLayers();
        other.A.Weight.Value = Rand(9, 300, 70);
        m.LoadStateDict(other.StateDict());
        Close(Infer(other, x), Infer(m, x), 1e-5, 1e-5, "packed copy refreshed after a load");
    }

    [Fact]
    public void PackedOpRejectsRecordingInputsAndWrongShapes()
    {
        using var w = PackedLinearWeight.TryPack(Rand(6, 8, 20))!;
        Assert.Throws<InvalidOperationException>(() => Ops.Linear(RandGrad(7, 30, 20), w));
        using var _ = Tensor.NoGrad();
        var e = Assert.Throws<ArgumentException>(() => Ops.Linear(Rand(8, 30, 21), w));
        Assert.Contains("does not end in 20", e.Message);
    }

    /// <summary>The fused epilogue (bias, each activation kind, residual) gives the composition of the plain ops. With two
    /// or more kernel threads (CI has two cores) these products run through the shared-A GEMM driver, which applies a
    /// bias, ReLU and residual to the micro-kernel's registers (n = 200: every tile; n = 205: all but the ragged last
    /// columns) and QuickGELU and the others to the stored tiles.</summary>
    [Theory]
    [InlineData(null, true, 200)]
    [InlineData(Engine.Backends.UnaryOp.QuickGelu, false, 200)]
    [InlineData(Engine.Backends.UnaryOp.QuickGelu, true, 203)] // ragged last vector of each row
    [InlineData(Engine.Backends.UnaryOp.Gelu, true, 200)]
    [InlineData(Engine.Backends.UnaryOp.Relu, true, 205)]
    [InlineData(Engine.Backends.UnaryOp.GeluTanh, false, 200)]
    public void FusedEpilogueMatchesComposedOps(Engine.Backends.UnaryOp? activation, bool withResidual, int n)
    {
        var x = Rand(11, 2, 150, 96);
        var w = Rand(12, n, 96);
        var b = Rand(13, n);
        var residual = withResidual ? Rand(14, 2, 150, n) : null;
        using var packed = PackedLinearWeight.TryPack(w)!;
        using var _ = Tensor.NoGrad();
        var expected = Ops.Linear(x, w, b);
        if (activation is { } act) expected = Ops.Activate(expected, act);
        if (residual is not null) expected = Ops.Add(residual, expected);
        var actual = Ops.Linear(x, packed, b, activation, residual);
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToArray(), actual.ToArray(), 1e-5, 1e-5, $"fused {activation} residual={withResidual}");
        // The Linear module's fused forward takes the same path once packed, and composes the ops otherwise.
        var layer = new Linear(96, n);
        layer.Weight.Value = w; layer.Bias!.Value = b;
        var unpacked = layer.Forward(x, activation, residual).ToArray();
        layer.PackForInference();
        Close(unpacked, layer.Forward(x, activation, residual).ToArray(), 1e-5, 1e-5, "module fused vs composed");
    }

    [Fact]
    public void FusedEpilogueRejectsNonActivationsAndMisshapedResiduals()
    {
        using var w = PackedLinearWeight.TryPack(Rand(6, 8, 20))!;
        using var _ = Tensor.NoGrad();
        Assert.Throws<ArgumentException>(() => Ops.Linear(Rand(8, 30, 20), w, null, Engine.Backends.UnaryOp.Exp, null));
        var e = Assert.Throws<ArgumentException>(() => Ops.Linear(Rand(8, 30, 20), w, null, null, Rand(9, 30, 9)));
        Assert.Contains("residual", e.Message);
    }

    /// <summary>q, k, v through one stacked GEMM: the same values as three Linear layers, refreshed when any of
    /// their weights or biases changes, and not used while recording.</summary>
    [Fact]
    public void PackedLinearsMatchItsLayersAndFollowTheirUpdates()
    {
        var q = new Linear(64, 64, rng: new Random(1)); var k = new Linear(64, 32, rng: new Random(2)); var v = new Linear(64, 48, rng: new Random(3));
        var group = new PackedLinears(q, k, v);
        var x = Rand(4, 3, 40, 64);
        float[] Separate()
        {
            using var _ = Tensor.NoGrad();
            return Ops.Cat(new[] { q.Forward(x), k.Forward(x), v.Forward(x) }, 2).ToArray();
        }
        using (Tensor.NoGrad()) Assert.Null(group.TryForward(x)); // not packed yet
        group.Pack();
        using (Tensor.NoGrad())
        {
            var fused = group.TryForward(x)!;
            Assert.Equal(new[] { 3, 40, 144 }, fused.Shape);
            Close(Separate(), fused.ToArray(), 1e-5, 1e-5, "stacked q/k/v");
            Assert.Null(group.TryForward(Rand(5, 2, 64))); // few rows: the layers' own path
        }
        Assert.Null(group.TryForward(x)); // gradient recording: the layers' own path
        // An in-place update of one bias (an optimiser step bumps its version) and a replaced weight are picked up.
        var opt = new Engine.Nn.Optim.Sgd(new[] { ("b", k.Bias!) }, lr: 0.5);
        k.Bias!.Value.Grad = Tensor.Full(1f, 32);
        opt.Step();
        v.Weight.Value = Rand(7, 48, 64);
        using (Tensor.NoGrad()) Close(Separate(), group.TryForward(x)!.ToArray(), 1e-5, 1e-5, "after updates");
        Assert.Throws<ArgumentException>(() => new PackedLinears(q, new Linear(65, 8)));
    }

    /// <summary>At inference the fused attention reads head views of one [B, T, 3, H, D] projection in place and
    /// returns its output as a [B, H, T, D] view of [B, T, H, D] memory; values equal the copied-operand path.</summary>
    [Fact]
    public void AttentionOnHeadViewsMatchesContiguousOperands()
    {
        int b = 2, t = 50, h = 3, d = 16;
        var qkv = Rand(21, b, t, 3 * h * d);
        var mask = Rand(22, b, 1, 1, t);
        var heads = qkv.Reshape(b, t, 3, h, d).Permute(2, 0, 3, 1, 4);
        Tensor expected;
        using (Tensor.NoGrad())
        {
            var actual = Ops.ScaledDotProductAttention(heads.Select(0, 0), heads.Select(0, 1), heads.Select(0, 2), mask, scale: 0.3f);
            Assert.Equal(new[] { b, h, t, d }, actual.Shape);
            Assert.False(actual.IsContiguous);
            Assert.True(actual.Transpose(1, 2).IsContiguous);
            expected = Ops.ScaledDotProductAttention(heads.Select(0, 0).Contiguous(), heads.Select(0, 1).Contiguous(), heads.Select(0, 2).Contiguous(), mask, scale: 0.3f);
            Close(expected.Contiguous().ToArray(), actual.Contiguous().ToArray(), 1e-6, 1e-5, "head views");
        }
        // With a tape the operands are copied (the backward needs them) and gradients flow as before.
        var qg = RandGrad(23, b, h, t, d);
        var y = Ops.ScaledDotProductAttention(qg, heads.Select(0, 1), heads.Select(0, 2), mask, scale: 0.3f);
        Ops.Sum(y).Backward();
        Assert.NotNull(qg.Grad);
    }

    /// <summary>A patch convolution (kernel = stride) packed for inference runs as one GEMM over the flattened patches
    /// (Conv2d.ForwardTokens); it must give conv(x).flatten(2).transpose(1, 2), also when the image is not a whole
    /// number of patches (the convolution drops the remainder), and follow weight updates like a Linear.</summary>
    [Theory]
    [InlineData(true, 32, 48)]
    [InlineData(false, 37, 29)]
    public void PackedPatchEmbeddingMatchesTheConvolution(bool bias, int h, int w)
    {
        var conv = new Conv2d(3, 40, 8, stride: 8, bias: bias, rng: new Random(3));
        Assert.True(conv.IsPatchEmbedding);
        var x = Rand(11, 2, 3, h, w);
        float[] Tokens(bool packedPath)
        {
            using var _ = Tensor.NoGrad();
            var t = conv.ForwardTokens(x);
            Assert.Equal(new[] { 2, h / 8 * (w / 8), 40 }, t.Shape);
            // The GEMM writes tokens in place; the convolution's output comes back as a transposed view.
            Assert.Equal(packedPath, t.IsContiguous);
            return t.Contiguous().ToArray();
        }
        float[] Reference()
        {
            using var _ = Tensor.NoGrad();
            return conv.Forward(x).Flatten(2).Transpose(1, 2).Contiguous().ToArray();
        }
        var expected = Reference();
        Close(expected, Tokens(packedPath: false), 1e-5, 1e-5, "unpacked tokens");
        conv.PackForInference();
        Close(expected, Tokens(packedPath: true), 1e-5, 1e-5, "packed patch GEMM");
        // With a tape the convolution itself runs, so the weight gets its gradient.
        var loss = Ops.Sum(Ops.Mul(conv.ForwardTokens(x), Rand(12, 2, h / 8 * (w / 8), 40)));
        loss.Backward();
        Assert.NotNull(conv.Weight.Value.Grad);
        new AdamW(conv.NamedParameters(), lr: 0.05).Step();
        Close(Reference(), Tokens(packedPath: true), 1e-5, 1e-5, "packed copy refreshed after the step");
    }

    [Fact]
    public void OverlappingConvolutionsAreNotPatchEmbeddings()
    {
        Assert.False(new Conv2d(3, 8, 3, stride: 1, padding: 1).IsPatchEmbedding);
        Assert.False(new Conv2d(3, 8, 4, stride: 4, padding: 1).IsPatchEmbedding);
        Assert.False(new Conv2d(4, 8, 4, stride: 4, groups: 2).IsPatchEmbedding);
        var conv = new Conv2d(3, 8, 3, stride: 2, padding: 1, rng: new Random(4));
        conv.PackForInference(); // nothing to pack: ForwardTokens is the convolution's output as tokens
        var x = Rand(13, 1, 3, 9, 9);
        using var _ = Tensor.NoGrad();
        Close(conv.Forward(x).Flatten(2).Transpose(1, 2).Contiguous().ToArray(), conv.ForwardTokens(x).Contiguous().ToArray(), 0, 0, "3x3 stride 2");
    }
}
