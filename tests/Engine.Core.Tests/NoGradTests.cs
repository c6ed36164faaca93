using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

/// <summary>Inference builds no tape: under NoGrad no op records a node, so nothing keeps activations alive.</summary>
public class NoGradTests
{
    [Fact]
    public void NoOpRecordsUnderNoGrad()
    {
        var x = RandGrad(1, 2, 5, 8); var w = RandGrad(2, 8, 8); var b = RandGrad(3, 8);
        var ln = RandGrad(4, 8);
        using (Tensor.NoGrad())
        {
            var outs = new List<Tensor>();
            var h = Ops.Linear(x, w, b); outs.Add(h);
            outs.Add(Ops.LayerNorm(h, ln, b, 1e-5f));
            outs.Add(Ops.QuickGelu(h)); outs.Add(Ops.Gelu(h)); outs.Add(Ops.Softmax(h, 1));
            var q = h.Reshape(2, 5, 2, 4).Transpose(1, 2); outs.Add(q);
            outs.Add(Ops.ScaledDotProductAttention(q, q, q));
            outs.Add(Ops.Add(h, x)); outs.Add(Ops.MatMul(h, w, transB: true)); outs.Add(Ops.Mean(h));
            foreach (var t in outs)
            {
                Assert.Null(t.GradFn);
                Assert.False(t.RequiresGrad);
            }
        }
        // the same ops record outside the scope
        Assert.NotNull(Ops.Linear(x, w, b).GradFn);
    }
}
