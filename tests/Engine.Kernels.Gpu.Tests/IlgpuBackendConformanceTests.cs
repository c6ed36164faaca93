using Engine;
using Engine.Backends;
using Engine.Backends.Ilgpu;
using Xunit;

namespace Engine.Kernels.Gpu.Tests;

using BinaryOp = Engine.Backends.BinaryOp;
using UnaryOp = Engine.Backends.UnaryOp;

/// <summary>The ILGPU backend (on the CPU simulator) against the core's CPU backend, method by method, on tiny
/// random inputs: same contract, results equal within float tolerance.</summary>
[Collection(SimulatorCollection.Name)]
public sealed class IlgpuBackendConformanceTests(SimulatorFixture fx)
{
    private readonly IBackend _gpu = new IlgpuBackend(fx.Device, Device.IlgpuCpu); // not disposed: the fixture owns the device
    private readonly IBackend _cpu = CpuBackend.Instance;

    private sealed record Pair(Storage Cpu, Storage Gpu);

    private Pair P(float[] data)
    {
        var g = _gpu.Allocate(DType.F32, data.Length, false);
        _gpu.Upload(data, g, 0);
        return new Pair(CpuStorage.Wrap((float[])data.Clone()), g);
    }

    private Pair Z(int n) => P(new float[n]);

    private static Storage C(Pair p) => p.Cpu;
    private static Storage G(Pair p) => p.Gpu;

    private void Same(Pair p, float atol, float rtol, string what)
    {
        var c = new float[p.Cpu.Length]; _cpu.Download(p.Cpu, 0, c);
        var g = new float[p.Gpu.Length]; _gpu.Download(p.Gpu, 0, g);
        TestUtil.Close(c, g, atol, rtol, what);
    }

    [Fact]
    public void UnaryOpsAndGradients()
    {
        var x = P(TestUtil.Random(64, 201, 0.1f, 3f)); var xs = P(TestUtil.Random(64, 202, -4f, 4f)); var gy = P(TestUtil.Random(64, 203));
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Pow or UnaryOp.RDiv;
            var input = positive ? x : xs;
            float a = op == UnaryOp.Clamp ? -0.5f : 1.7f, b = 0.8f;
            var y = Z(64); var gx = Z(64);
            foreach (var (be, sel) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
            {
                be.Unary(op, sel(input), 0, sel(y), 0, 64, a, b);
                be.UnaryBackward(op, sel(input), 0, sel(y), 0, sel(gy), 0, sel(gx), 0, 64, a, b);
            }
            Same(y, 2e-6f, 2e-6f, $"{op}");
            Same(gx, 2e-6f, 2e-5f, $"{op} backward");
        }
    }

    [Fact]
    public void BroadcastBinaryWhereAndCopies()
    {
        var a = P(TestUtil.Random(24, 211)); var b = P(TestUtil.Random(4, 212, 0.5f, 2f)); var cond = P(new float[] { 1, 0, 0, 1, 1, 0 });
        int[] shape = { 2, 3, 4 };
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            var y = Z(24);
            _cpu.Binary(op, a.Cpu, 0, new long[] { 12, 4, 1 }, b.Cpu, 0, new long[] { 0, 0, 1 }, shape, y.Cpu, 0);
            _gpu.Binary(op, a.Gpu, 0, new long[] { 12, 4, 1 }, b.Gpu, 0, new long[] { 0, 0, 1 }, shape, y.Gpu, 0);
            Same(y, 1e-6f, 1e-6f, $"{op}");
        }
        var w = Z(24);
        _cpu.Where(cond.Cpu, 0, new long[] { 3, 1, 0 }, a.Cpu, 0, new long[] { 12, 4, 1 }, b.Cpu, 0, new long[] { 0, 0, 1 }, shape, w.Cpu, 0);
        _gpu.Where(cond.Gpu, 0, new long[] { 3, 1, 0 }, a.Gpu, 0, new long[] { 12, 4, 1 }, b.Gpu, 0, new long[] { 0, 0, 1 }, shape, w.Gpu, 0);
        Same(w, 0, 0, "where");
        var t = Z(24);
        _cpu.CopyStrided(a.Cpu, 1, new long[] { 1, 4 }, new[] { 4, 5 }, t.Cpu, 2, new long[] { 5, 1 });
        _gpu.CopyStrided(a.Gpu, 1, new long[] { 1, 4 }, new[] { 4, 5 }, t.Gpu, 2, new long[] { 5, 1 });
        Same(t, 0, 0, "copy strided");
        var f = Z(24);
        _cpu.Fill(f.Cpu, 3, 10, 2.5f); _gpu.Fill(f.Gpu, 3, 10, 2.5f);
        Same(f, 0, 0, "fill");
    }

    [Fact]
    public void ReductionsGemmSoftmaxLayerNorm()
    {
        var x = P(TestUtil.Random(3 * 7 * 5, 221));
        var s = Z(15); var mx = Z(15); long[] ic = new long[15], ig = new long[15];
        _cpu.ReduceSum(x.Cpu, 0, 3, 7, 5, 0.5f, s.Cpu, 0); _gpu.ReduceSum(x.Gpu, 0, 3, 7, 5, 0.5f, s.Gpu, 0);
        _cpu.ReduceMax(x.Cpu, 0, 3, 7, 5, mx.Cpu, 0, ic); _gpu.ReduceMax(x.Gpu, 0, 3, 7, 5, mx.Gpu, 0, ig);
        Same(s, 1e-6f, 1e-5f, "reduce sum"); Same(mx, 0, 0, "reduce max"); Assert.Equal(ic, ig);

        var a = P(TestUtil.Random(2 * 9 * 6, 222)); var b = P(TestUtil.Random(2 * 6 * 11, 223)); var c = P(TestUtil.Random(2 * 9 * 11, 224));
        _cpu.GemmBatched(false, false, 9, 11, 6, 1.5f, a.Cpu, 0, 6, 54, b.Cpu, 0, 11, 66, 0.5f, c.Cpu, 0, 11, 99, 2);
        _gpu.GemmBatched(false, false, 9, 11, 6, 1.5f, a.Gpu, 0, 6, 54, b.Gpu, 0, 11, 66, 0.5f, c.Gpu, 0, 11, 99, 2);
        Same(c, 1e-5f, 1e-5f, "gemm batched");
        _cpu.Gemm(true, true, 6, 9, 11, 1f, b.Cpu, 0, 6, c.Cpu, 0, 11, 0f, a.Cpu, 0, 9);
        _gpu.Gemm(true, true, 6, 9, 11, 1f, b.Gpu, 0, 6, c.Gpu, 0, 11, 0f, a.Gpu, 0, 9);
        Same(a, 1e-4f, 1e-5f, "gemm tt");

        int rows = 4, n = 33;
        var xs = P(TestUtil.Random(rows * n, 225, -3, 3)); var gy = P(TestUtil.Random(rows * n, 226));
        foreach (var log in new[] { false, true })
        {
            var y = Z(rows * n); var gx = Z(rows * n);
            _cpu.Softmax(xs.Cpu, 0, rows, n, log, y.Cpu, 0); _gpu.Softmax(xs.Gpu, 0, rows, n, log, y.Gpu, 0);
            _cpu.SoftmaxBackward(y.Cpu, 0, gy.Cpu, 0, rows, n, log, gx.Cpu, 0); _gpu.SoftmaxBackward(y.Gpu, 0, gy.Gpu, 0, rows, n, log, gx.Gpu, 0);
            Same(y, 1e-6f, 1e-5f, "softmax"); Same(gx, 1e-6f, 1e-5f, "softmax backward");
        }
        var wt = P(TestUtil.Random(n, 227)); var bs = P(TestUtil.Random(n, 228));
        var ly = Z(rows * n); var mean = Z(rows); var rstd = Z(rows); var lgx = Z(rows * n); var gw = Z(n); var gb = Z(n);
        foreach (var (be, sel) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
        {
            be.LayerNorm(sel(xs), 0, sel(wt), 0, sel(bs), 0, rows, n, 1e-5f, sel(ly), 0, sel(mean), sel(rstd));
            be.LayerNormBackward(sel(xs), 0, sel(wt), 0, sel(gy), 0, sel(mean), sel(rstd), rows, n, sel(lgx), 0, sel(gw), sel(gb));
        }
        Same(ly, 1e-5f, 1e-5f, "layernorm"); Same(lgx, 1e-5f, 1e-4f, "layernorm gx"); Same(gw, 1e-5f, 1e-5f, "layernorm gw"); Same(gb, 1e-5f, 1e-5f, "layernorm gb");
    }

    [Fact]
    public void ChannelIndexConvPoolInterpOptim()
    {
        var x = P(TestUtil.Random(2 * 3 * 10, 231)); var gy = P(TestUtil.Random(2 * 3 * 10, 232));
        var mean = Z(3); var var = Z(3); var sc = P(TestUtil.Random(3, 233)); var sh = P(TestUtil.Random(3, 234)); var y = Z(60); var s1 = Z(3); var s2 = Z(3);
        foreach (var (be, sel) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
        {
            be.ChannelStats(sel(x), 0, 2, 3, 10, sel(mean), sel(var));
            be.ChannelAffine(sel(x), 0, 2, 3, 10, sel(sc), sel(sh), sel(y), 0);
            be.ChannelGradSums(sel(x), 0, sel(gy), 0, 2, 3, 10, sel(s1), sel(s2));
        }
        Same(mean, 1e-6f, 1e-5f, "channel mean"); Same(var, 1e-6f, 1e-5f, "channel var"); Same(y, 1e-6f, 1e-6f, "channel affine");
        Same(s1, 1e-5f, 1e-5f, "sum gy"); Same(s2, 1e-5f, 1e-5f, "sum gy x");

        int[] index = { 2, 0, 2, 4 };
        var sel1 = Z(2 * 4 * 6); var add1 = Z(60);
        var gidx = new int[2 * 3 * 6]; var r = new Random(5); for (int i = 0; i < gidx.Length; i++) gidx[i] = r.Next(5);
        var gat = Z(2 * 3 * 6); var sca = Z(60);
        foreach (var (be, s) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
        {
            be.IndexSelect(s(x), 0, 2, 5, 6, index, s(sel1), 0);
            be.IndexAdd(s(sel1), 0, 2, 5, 6, index, s(add1), 0);
            be.Gather(s(x), 0, 2, 5, 6, gidx, 3, s(gat), 0);
            be.ScatterAdd(s(gat), 0, 2, 5, 6, gidx, 3, s(sca), 0);
        }
        Same(sel1, 0, 0, "index select"); Same(add1, 1e-6f, 1e-6f, "index add"); Same(gat, 0, 0, "gather"); Same(sca, 1e-6f, 1e-6f, "scatter add");
        Assert.Throws<ArgumentException>(() => _gpu.IndexSelect(x.Gpu, 0, 2, 5, 6, new[] { 5 }, sel1.Gpu, 0));

        var img = P(TestUtil.Random(2 * 5 * 4, 235)); var col = Z(2 * 3 * 2 * 3 * 3); var back = P(TestUtil.Random(40, 236)); // col: [c*kh*kw, outH*outW]
        foreach (var (be, s) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
        {
            be.Im2Col(s(img), 0, 2, 5, 4, 3, 2, 2, 1, 1, 0, 1, 1, 3, 3, s(col), 0);
            be.Col2Im(s(col), 0, 2, 5, 4, 3, 2, 2, 1, 1, 0, 1, 1, 3, 3, s(back), 0);
        }
        Same(col, 0, 0, "im2col"); Same(back, 1e-6f, 1e-6f, "col2im (accumulating)");

        var pin = P(TestUtil.Random(2 * 5 * 6, 237)); var py = Z(2 * 3 * 3); var pgx = P(TestUtil.Random(60, 238)); var pg = P(TestUtil.Random(18, 239));
        var argC = CpuStorage.Allocate(DType.I32, 18); var argG = _gpu.Allocate(DType.I32, 18, true);
        _cpu.MaxPool2d(pin.Cpu, 0, 2, 5, 6, 3, 3, 2, 2, 1, 1, 3, 3, py.Cpu, 0, argC); _gpu.MaxPool2d(pin.Gpu, 0, 2, 5, 6, 3, 3, 2, 2, 1, 1, 3, 3, py.Gpu, 0, argG);
        _cpu.MaxPool2dBackward(pg.Cpu, 0, argC, 2, 5, 6, 3, 3, pgx.Cpu, 0); _gpu.MaxPool2dBackward(pg.Gpu, 0, argG, 2, 5, 6, 3, 3, pgx.Gpu, 0);
        Same(py, 0, 0, "max pool"); Same(pgx, 1e-6f, 1e-6f, "max pool backward");
        foreach (var include in new[] { true, false })
        {
            var ay = Z(18); var agx = Z(60);
            foreach (var (be, s) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
            {
                be.AvgPool2d(s(pin), 0, 2, 5, 6, 3, 3, 2, 2, 1, 1, 3, 3, include, s(ay), 0);
                be.AvgPool2dBackward(s(pg), 0, 2, 5, 6, 3, 3, 2, 2, 1, 1, 3, 3, include, s(agx), 0);
            }
            Same(ay, 1e-6f, 1e-6f, "avg pool"); Same(agx, 1e-6f, 1e-6f, "avg pool backward");
        }
        var ady = Z(2 * 2 * 4); var adgx = Z(60); var adg = P(TestUtil.Random(16, 240));
        foreach (var (be, s) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
        {
            be.AdaptiveAvgPool2d(s(pin), 0, 2, 5, 6, 2, 4, s(ady), 0);
            be.AdaptiveAvgPool2dBackward(s(adg), 0, 2, 5, 6, 2, 4, s(adgx), 0);
        }
        Same(ady, 1e-6f, 1e-6f, "adaptive avg pool"); Same(adgx, 1e-6f, 1e-6f, "adaptive avg pool backward");

        foreach (var mode in Enum.GetValues<InterpolationMode>())
            foreach (var ac in mode == InterpolationMode.Nearest ? new[] { false } : new[] { false, true })
            {
                var iy = Z(2 * 7 * 9); var igx = Z(60); var ig = P(TestUtil.Random(2 * 7 * 9, 241));
                foreach (var (be, s) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
                {
                    be.Interpolate2d(mode, ac, s(pin), 0, 2, 5, 6, 7, 9, s(iy), 0);
                    be.Interpolate2dBackward(mode, ac, s(ig), 0, 2, 5, 6, 7, 9, s(igx), 0);
                }
                Same(iy, 1e-6f, 1e-5f, $"interpolate {mode} {ac}"); Same(igx, 1e-5f, 1e-5f, $"interpolate {mode} {ac} backward");
            }

        var p = P(TestUtil.Random(20, 242)); var g = P(TestUtil.Random(20, 243)); var m = P(TestUtil.Random(20, 244, 0, 0.1f)); var v = P(TestUtil.Random(20, 245, 0, 0.01f));
        var q = P(TestUtil.Random(20, 246)); var buf = P(TestUtil.Random(20, 247));
        foreach (var (be, s) in new[] { (_cpu, (Func<Pair, Storage>)C), (_gpu, G) })
        {
            be.AdamWStep(s(p), 0, s(g), 0, s(m), 0, s(v), 0, 20, 0.999f, 0.1f, 0.999f, 0.001f, 1e-8f, 0.01f, 0.05f);
            be.SgdStep(s(q), 0, s(g), 0, s(buf), 0, 20, 0.1f, 0.9f, 0.1f, 0.01f, true, false);
        }
        Same(p, 1e-6f, 1e-6f, "adamw"); Same(m, 0, 0, "adamw m"); Same(v, 1e-9f, 1e-6f, "adamw v"); Same(q, 1e-6f, 1e-6f, "sgd"); Same(buf, 1e-6f, 1e-6f, "sgd buffer");
    }

    [Fact]
    public void RegistersBothDeviceKinds()
    {
        IlgpuBackend.Register();
        Assert.True(BackendRegistry.IsAvailable(DeviceKind.IlgpuCpu));
        Assert.Equal(IlgpuBackend.CudaAvailable, BackendRegistry.IsAvailable(DeviceKind.Cuda)); // no GPU in CI: not registered
    }
}

/// <summary>End to end through the tensor API: a small forward/backward graph on "ilgpu-cpu" equals the same graph on
/// the CPU (ops dispatch through the registered ILGPU backend; nothing model-specific changes).</summary>
public sealed class IlgpuTensorTests
{
    [Fact]
    public void SmallGraphForwardAndBackwardMatchCpu()
    {
        IlgpuBackend.Register();
        var rng = new Random(3);
        var x0 = Tensor.Randn(rng, 2, 5, 8); var w0 = Tensor.Randn(rng, 6, 8); var b0 = Tensor.Randn(rng, 6);
        var lnw0 = Tensor.Randn(rng, 6); var lnb0 = Tensor.Randn(rng, 6);
        (float[] y, float[] gx, float[] gw) Run(Device d)
        {
            var x = x0.To(d).Detach(); var w = w0.To(d).Detach(); var b = b0.To(d); var lnw = lnw0.To(d); var lnb = lnb0.To(d);
            x.RequiresGrad = true; w.RequiresGrad = true;
            var h = Ops.Gelu(Ops.Linear(x, w, b));
            var y = Ops.Softmax(Ops.LayerNorm(h, lnw, lnb, 1e-5f), -1);
            var loss = Ops.Sum(Ops.Mul(y, y));
            loss.Backward();
            return (y.To(Device.Cpu).ToArray(), x.Grad!.To(Device.Cpu).ToArray(), w.Grad!.To(Device.Cpu).ToArray());
        }
        var cpu = Run(Device.Cpu);
        var gpu = Run(Device.IlgpuCpu);
        TestUtil.Close(cpu.y, gpu.y, 1e-5f, 1e-4f, "y");
        TestUtil.Close(cpu.gx, gpu.gx, 1e-5f, 1e-3f, "grad x");
        TestUtil.Close(cpu.gw, gpu.gw, 1e-5f, 1e-3f, "grad w");
    }
}
