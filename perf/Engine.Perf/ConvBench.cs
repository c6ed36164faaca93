using Engine.Kernels.Cpu;

namespace Engine.Perf;

/// <summary>Conv2d forward (and backward-data / backward-weight) on one shape, e.g. the ResNet-50 3x3 layers of a
/// 416 x 416 input: N=1, C=K=64/128/256/512 at 104/52/26/13. FLOPs = 2 * N*K*OH*OW * C/groups*KH*KW per pass.</summary>
public static class ConvBench
{
    public static BenchResult Run(int n, int c, int h, int w, int k, int kernel, int stride, int threads, bool backward = true)
    {
        var s = new Conv2dShape(n, c, h, w, k, kernel, kernel, stride, stride, kernel / 2, kernel / 2);
        s.Validate("bench conv");
        var x = GemmBench.Random((int)s.InputSize, 1);
        var wt = GemmBench.Random((int)s.WeightSize, 2);
        var y = new float[s.OutputSize];
        var (ms, peak) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
            Conv2dKernels.Forward(s, x, 0, wt, 0, null, 0, y, 0), threads));
        var result = new BenchResult("conv2d", $"N{n} C{c} {h}x{w} K{k} {kernel}x{kernel}/{stride}", threads, ms, s.Flops / (ms * 1e6), peak);
        if (backward)
        {
            var dx = new float[s.InputSize];
            var dw = new float[s.WeightSize];
            var (dataMs, _) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
                Conv2dKernels.BackwardData(s, y, 0, wt, 0, dx, 0), threads, budgetSeconds: 1.5));
            var (weightMs, _) = GemmBench.WithThreads(threads, () => BenchTiming.BestAgainstPeak(() =>
                Conv2dKernels.BackwardWeight(s, x, 0, y, 0, dw, 0, null, 0), threads, budgetSeconds: 1.5));
            result.Extra.Add(("backward_data_ms", dataMs));
            result.Extra.Add(("backward_data_ratio", s.Flops / (dataMs * 1e6) / peak));
            result.Extra.Add(("backward_weight_ms", weightMs));
            result.Extra.Add(("backward_weight_ratio", s.Flops / (weightMs * 1e6) / peak));
        }
        return result;
    }
}
