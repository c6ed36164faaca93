using Engine.Nn;
using Engine.Nn.Optim;
using Engine.Weights;
using Xunit;

namespace Engine.Core.Tests;

public class OptimTests
{
    private static string Golden(string file) => Engine.Tests.RepoPaths.Golden("clipseg_tiny_refined", file);

    [Fact]
    public void AdamWStepMatchesTorchGoldenAndSkipsParametersWithoutGrad()
    {
        var model = SafetensorsFile.ReadAll(Golden("model.safetensors"));
        var grads = SafetensorsFile.ReadAll(Golden("grads.safetensors"));
        var after = SafetensorsFile.ReadAll(Golden("params_after_adamw.safetensors"));
        var ps = new List<(string, Parameter)>();
        foreach (var name in after.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            var p = new Parameter(model[name].Detach().Clone());
            if (grads.TryGetValue(name, out var g)) p.Value.Grad = g;
            ps.Add((name, p));
        }
        Assert.Contains(ps, x => x.Item1 == "clip.text_projection.weight" && x.Item2.Value.Grad is null);
        var opt = new AdamW(ps, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01);
        opt.Step();
        int compared = 0;
        foreach (var (name, p) in ps)
        {
            var got = p.Value.ToArray(); var exp = after[name].ToArray();
            if (!grads.TryGetValue(name, out var gt))
            {
                Assert.Equal(model[name].ToArray(), got); // skipped entirely: no weight decay either
                Assert.Equal(0, opt.StepsOf(name));
                continue;
            }
            var g = gt.ToArray();
            for (int i = 0; i < got.Length; i++)
            {
                // README tolerance: atol 1e-6 + rtol 1e-6, except where |g| < 1e-6 (sign of a tiny gradient is arbitrary)
                double tol = Math.Abs(g[i]) < 1e-6 ? 2.1e-3 : 1e-6 + 1e-6 * Math.Abs(exp[i]);
                Assert.True(Math.Abs(got[i] - exp[i]) <= tol, $"{name}[{i}]: got {got[i]:R}, torch {exp[i]:R}, grad {g[i]:R}");
                compared++;
            }
        }
        Assert.True(compared > 1000);
    }

    private static (string, Parameter)[] TinyParams(int seed)
    {
        var a = new Parameter(TestUtil.Rand(seed, 3, 4)); var b = new Parameter(TestUtil.Rand(seed + 1, 5));
        return new[] { ("a", a), ("b", b) };
    }

    private static void SetGrads((string, Parameter)[] ps, int seed)
    {
        foreach (var (i, (_, p)) in ps.Select((x, i) => (i, x))) p.Value.Grad = TestUtil.Rand(seed * 10 + i, p.Shape);
    }

    [Fact]
    public void AdamWMatchesDoubleReferenceOverSeveralStepsAndResumesFromState()
    {
        var ps = TinyParams(1);
        var p0 = ps.Select(x => x.Item2.Value.ToArray().Select(v => (double)v).ToArray()).ToArray();
        var opt = new AdamW(ps, lr: 0.01, weightDecay: 0.1);
        // reference in double
        var m = p0.Select(a => new double[a.Length]).ToArray(); var v = p0.Select(a => new double[a.Length]).ToArray();
        var pr = p0.Select(a => (double[])a.Clone()).ToArray();
        for (int step = 1; step <= 3; step++)
        {
            SetGrads(ps, step);
            for (int k = 0; k < 2; k++)
            {
                var g = ps[k].Item2.Value.Grad!.ToArray();
                for (int i = 0; i < g.Length; i++)
                {
                    pr[k][i] *= 1 - 0.01 * 0.1;
                    m[k][i] = 0.9 * m[k][i] + 0.1 * g[i];
                    v[k][i] = 0.999 * v[k][i] + 0.001 * g[i] * g[i];
                    pr[k][i] -= 0.01 / (1 - Math.Pow(0.9, step)) * m[k][i] / (Math.Sqrt(v[k][i]) / Math.Sqrt(1 - Math.Pow(0.999, step)) + 1e-8);
                }
            }
            opt.Step();
        }
        for (int k = 0; k < 2; k++) TestUtil.Close(pr[k], ps[k].Item2.Value.ToArray(), 1e-6, 1e-5);

        // save, continue two ways, compare: resume gives identical parameters
        var state = opt.StateDict();
        Assert.Equal(6, state.Count);
        Assert.Equal(3, state["a.step"].ToInt64Array()[0]);
        var ps2 = ps.Select(x => (x.Item1, new Parameter(x.Item2.Value.Detach().Clone()))).ToArray();
        var opt2 = new AdamW(ps2, lr: 0.01, weightDecay: 0.1);
        opt2.LoadStateDict(state);
        SetGrads(ps, 9); SetGrads(ps2, 9);
        opt.Step(); opt2.Step();
        for (int k = 0; k < 2; k++) Assert.Equal(ps[k].Item2.Value.ToArray(), ps2[k].Item2.Value.ToArray());
        var bad = new Dictionary<string, Tensor>(state) { ["zzz.exp_avg"] = Tensor.Zeros(1) };
        Assert.Throws<InvalidDataException>(() => opt2.LoadStateDict(bad));
        var wrong = new Dictionary<string, Tensor>(state) { ["a.exp_avg"] = Tensor.Zeros(4, 3) };
        Assert.Contains("a.exp_avg", Assert.Throws<InvalidDataException>(() => opt2.LoadStateDict(wrong)).Message);
    }

    [Fact]
    public void SgdMomentumNesterovAndWeightDecayFollowTorch()
    {
        foreach (var nesterov in new[] { false, true })
        {
            var ps = TinyParams(3);
            var p = ps.Select(x => x.Item2.Value.ToArray().Select(v => (double)v).ToArray()).ToArray();
            var buf = new double[2][];
            var opt = new Sgd(ps, lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: nesterov);
            for (int step = 0; step < 3; step++)
            {
                SetGrads(ps, step + 1);
                for (int k = 0; k < 2; k++)
                {
                    var g = ps[k].Item2.Value.Grad!.ToArray().Select(x => (double)x).ToArray();
                    for (int i = 0; i < g.Length; i++) g[i] += 0.01 * p[k][i];
                    buf[k] = step == 0 ? (double[])g.Clone() : buf[k].Select((b, i) => 0.9 * b + g[i]).ToArray();
                    for (int i = 0; i < g.Length; i++) p[k][i] -= 0.1 * (nesterov ? g[i] + 0.9 * buf[k][i] : buf[k][i]);
                }
                opt.Step();
            }
            for (int k = 0; k < 2; k++) TestUtil.Close(p[k], ps[k].Item2.Value.ToArray(), 1e-5, 1e-5);
            Assert.Equal(2, opt.StateDict().Count);
        }
        // no momentum: plain p -= lr g, parameters without grad untouched
        var q = TinyParams(5);
        var before = q[1].Item2.Value.ToArray();
        q[0].Item2.Value.Grad = Tensor.Ones(3, 4);
        var s = new Sgd(q, lr: 0.5);
        var a0 = q[0].Item2.Value.ToArray();
        s.Step();
        TestUtil.Close(a0.Select(x => x - 0.5).ToArray(), q[0].Item2.Value.ToArray(), 1e-6);
        Assert.Equal(before, q[1].Item2.Value.ToArray());
        s.ZeroGrad();
        Assert.Null(q[0].Item2.Value.Grad);
    }

    [Fact]
    public void ClipGradNormScalesAllGradients()
    {
        var ps = TinyParams(7);
        ps[0].Item2.Value.Grad = Tensor.Full(1f, 3, 4);      // norm^2 = 12
        ps[1].Item2.Value.Grad = Tensor.Full(2f, 5);         // norm^2 = 20
        var shared = ps[0].Item2.Value.Grad!;
        double total = GradClip.ClipGradNorm(ps.Select(x => x.Item2), 2.0);
        Assert.Equal(Math.Sqrt(32), total, 5);
        double coef = 2.0 / (Math.Sqrt(32) + 1e-6);
        Assert.All(ps[0].Item2.Value.Grad!.ToArray(), v => Assert.Equal(coef, v, 5));
        Assert.All(ps[1].Item2.Value.Grad!.ToArray(), v => Assert.Equal(2 * coef, v, 5));
        Assert.All(shared.ToArray(), v => Assert.Equal(1f, v)); // replaced, not scaled in place
        // below the limit: unchanged
        double t2 = GradClip.ClipGradNorm(ps.Select(x => x.Item2), 100.0);
        Assert.Equal(2.0, t2, 4);
        Assert.Equal(2 * coef, GradClip.ClipGradNorm(ps.Select(x => x.Item2), 100.0, double.PositiveInfinity), 5);
    }

    [Fact]
    public void LearningRateSchedules()
    {
        Assert.Equal(0.3, new ConstantLr(0.3).LearningRateAt(1000));
        var s = new WarmupCosineLr(1.0, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(0.0, s.LearningRateAt(0));
        Assert.Equal(0.5, s.LearningRateAt(5), 12);
        Assert.Equal(1.0, s.LearningRateAt(10), 12);
        Assert.Equal(0.5, s.LearningRateAt(60), 12);
        Assert.Equal(0.0, s.LearningRateAt(110), 12);
        Assert.Equal(0.0, s.LearningRateAt(500), 12);
        var withMin = new WarmupCosineLr(1.0, 0, 100, minLr: 0.1);
        Assert.Equal(0.55, withMin.LearningRateAt(50), 12);
        var opt = new Sgd(TinyParams(1), lr: 1.0);
        s.Apply(opt, 5);
        Assert.Equal(0.5, opt.LearningRate, 12);

        var plateau = new ReduceLrOnPlateau(opt, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.05);
        opt.LearningRate = 1.0;
        Assert.False(plateau.Step(1.0));   // best
        Assert.False(plateau.Step(1.0));   // bad 1
        Assert.False(plateau.Step(0.99995)); // not better by the relative threshold 1e-4: bad 2
        Assert.True(plateau.Step(1.2));    // bad 3 > patience -> 0.5
        Assert.Equal(0.5, opt.LearningRate);
        Assert.False(plateau.Step(1.2));   // cooldown swallows this one
        Assert.False(plateau.Step(1.2));
        Assert.False(plateau.Step(1.2));
        Assert.True(plateau.Step(1.2));    // -> 0.25
        Assert.Equal(0.25, opt.LearningRate);
        var st = plateau.SaveState();
        var p2 = new ReduceLrOnPlateau(opt, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.05);
        p2.LoadState(st);
        Assert.Equal(1.0, p2.Best);
    }
}
