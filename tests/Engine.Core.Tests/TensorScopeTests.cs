using Engine.Nn;
using Engine.Nn.Optim;
using Xunit;
using static Engine.Core.Tests.TestUtil;

namespace Engine.Core.Tests;

public class TensorScopeTests
{
    [Fact]
    public void ReleasesTemporariesAndKeepsResults()
    {
        var x = Rand(1, 4, 8); var w = Rand(2, 8, 8);
        Tensor kept, temp, view;
        using (Tensor.NoGrad())
        {
            using var scope = TensorScope.Begin();
            Assert.True(scope.IsActive);
            temp = Ops.Linear(x, w);
            var mid = Ops.Relu(temp);
            view = mid.Reshape(2, 16);
            kept = scope.Keep(Ops.Add(mid, x));
            scope.Keep(view);
        }
        Assert.Equal(new[] { 4, 8 }, kept.Shape);
        _ = kept.ToArray();                       // kept: still readable
        _ = view.ToArray();                       // keeping a view keeps its storage
        var e = Assert.Throws<InvalidOperationException>(() => temp.ToArray());   // released: a clear error, never garbage
        Assert.Contains("disposed", e.Message);
        Assert.Equal(Rand(1, 4, 8).ToArray(), x.ToArray()); // inputs made outside the scope are untouched
    }

    [Fact]
    public void InactiveWhileRecordingAndNestedKeepsMoveOutward()
    {
        var x = RandGrad(1, 3, 3);
        using (var recording = TensorScope.Begin())
        {
            Assert.False(recording.IsActive);
            var y = Ops.Mul(Ops.Relu(x), 2f);
            recording.Keep(y);
            Ops.Sum(y).Backward();              // the tape's intermediates are intact
        }
        Assert.NotNull(x.Grad);

        Tensor inner, outerTemp;
        using (Tensor.NoGrad())
        {
            using var outer = TensorScope.Begin();
            outerTemp = Ops.Add(x, 1f);
            using (var nested = TensorScope.Begin())
                inner = nested.Keep(Ops.Mul(x, 3f));
            _ = inner.ToArray();                 // survives the inner scope ...
            outer.Keep(outerTemp);
        }
        Assert.Throws<InvalidOperationException>(() => inner.ToArray()); // ... but belongs to the outer one, which released it
        _ = outerTemp.ToArray();
    }

    [Fact]
    public void OutOfOrderDisposeIsAnError()
    {
        using var _ = Tensor.NoGrad();
        var a = TensorScope.Begin();
        var b = TensorScope.Begin();
        Assert.Throws<InvalidOperationException>(() => a.Dispose());
        b.Dispose();
    }

    [Fact]
    public void InferKeepsOnlyTheResultAndRecordsNothing()
    {
        var x = RandGrad(3, 4, 8); var w = Rand(4, 8, 8);
        Tensor? temp = null;
        var y = TensorScope.Infer(() =>
        {
            temp = Ops.Linear(x, w);
            return Ops.Relu(temp);
        });
        Assert.False(y.RequiresGrad);                                   // nothing recorded despite x requiring gradients
        Assert.Equal(Ops.Relu(Ops.Linear(x.Detach(), w)).ToArray(), y.ToArray());
        Assert.Throws<InvalidOperationException>(() => temp!.ToArray()); // the temporary went back to the pool
        Tensor? made = null;
        TensorScope.Infer(() => { made = Ops.Add(x, x); });
        Assert.Throws<InvalidOperationException>(() => made!.ToArray());
    }

    [Fact]
    public void PersistedTensorsOutliveEveryOpenScope()
    {
        var x = Rand(5, 6, 6);
        Tensor cache = null!, temp = null!;
        TensorScope.Infer(() =>
        {
            using var inner = TensorScope.Begin();
            temp = Ops.Mul(x, 2f);
            cache = TensorScope.Persist(Ops.Add(temp, 1f)); // a module's cache made inside a caller's scopes
        });
        Assert.Equal(x.ToArray().Select(v => v * 2f + 1f).ToArray(), cache.ToArray());
        Assert.Throws<InvalidOperationException>(() => temp.ToArray());
    }

    /// <summary>Training steps in step scopes (as the trainer runs them) give the same parameters as without, keep the
    /// optimiser state across steps, and release the tape's activations when each step ends.</summary>
    [Fact]
    public void TrainingStepScopesReleaseTheTapeAndKeepOptimiserState()
    {
        float[] Train(bool scoped, out Tensor lastActivation)
        {
            var layer = new Linear(6, 4, rng: new Random(7));
            var opt = new AdamW(layer.NamedParameters(), lr: 0.1);
            lastActivation = null!;
            for (int step = 0; step < 3; step++)
            {
                using (scoped ? TensorScope.BeginStep() : null)
                {
                    for (int micro = 0; micro < 2; micro++) // gradient accumulation inside one step
                    {
                        lastActivation = Ops.Relu(layer.Forward(Rand(20 + step * 2 + micro, 5, 6)));
                        Ops.Mean(Ops.Mul(lastActivation, lastActivation)).Backward();
                    }
                    opt.Step();
                    opt.ZeroGrad();
                }
            }
            return layer.Weight.Value.ToArray();
        }
        var plain = Train(scoped: false, out var keptActivation);
        var scoped = Train(scoped: true, out var releasedActivation);
        Assert.Equal(plain, scoped);                                                    // same updates, state kept
        _ = keptActivation.ToArray();
        Assert.Throws<InvalidOperationException>(() => releasedActivation.ToArray()); // back in the pool
    }

    /// <summary>A step's buffers come back for the next step, also when the step held hundreds of one size at once
    /// (as a training tape does; the shared ArrayPool would keep only ~32 per size per core).</summary>
    [Fact]
    public void ReleasedBuffersAreReusedEvenWhenAStepHeldHundredsOfOneSize()
    {
        HashSet<float[]> Step()
        {
            var arrays = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
            using (TensorScope.BeginStep())
                for (int i = 0; i < 300; i++)
                    arrays.Add(((CpuStorage)Tensor.Zeros(DType.F32, Device.Cpu, 3000, 7).Storage).FloatArray);
            return arrays;
        }
        var first = Step();
        var second = Step();
        Assert.Equal(300, first.Count);
        Assert.True(second.SetEquals(first), $"{second.Count(first.Contains)} of 300 buffers reused");
    }
}
