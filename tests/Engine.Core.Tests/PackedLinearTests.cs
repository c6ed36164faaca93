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
}
