using Engine.Kernels.Cpu;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Perf.OnnxPeer;

/// <summary>
/// Kernel-level comparison (<c>--gemm M,K,N[,threads][;...] [rounds]</c>): a chain of constant-weight products as a transformer
/// MLP runs them, x[M x K] -> (x W1[K x N]) W2[N x K] -> ... (16 products, distinct weights, so they come from memory as a model's do), on our GEMM with
/// prepacked weights and on ONNX Runtime's MatMul (MLAS, constant B prepacked at session creation). The two sides
/// alternate round by round with a pause before each (so neither side's spinning threads slow the other); each round
/// times the whole chain, which is how the products run inside a model. Prints median and best GFLOPS of each.
/// </summary>
internal static class GemmPeer
{
    private const int Products = 16;

    public static void Run(int m, int k, int n, int threads, int rounds, TextWriter output)
    {
        KernelThreading.MaxThreads = threads;
        var rng = new Random(1);
        float[] Random(int count, float scale)
        {
            var x = new float[count];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            return x;
        }
        var x0 = Random(m * k, 1f);
        // Weights scaled so values stay O(1) along the chain.
        var weights = Enumerable.Range(0, Products).Select(i => i % 2 == 0 ? Random(k * n, 1.7f / MathF.Sqrt(k)) : Random(n * k, 1.7f / MathF.Sqrt(n))).ToArray();
        var packed = weights.Select((w, i) => i % 2 == 0 ? PackedMatrixB.Create(false, w, 0, n, k, n) : PackedMatrixB.Create(false, w, 0, k, n, k)).ToArray();
        var bufN = new float[m * n]; var bufK = new float[m * k];

        var g = new OnnxGraph();
        g.Input("x", m, k);
        string cur = "x";
        for (int i = 0; i < Products; i++)
        {
            string w = i % 2 == 0 ? g.Initializer($"w{i}", weights[i], k, n) : g.Initializer($"w{i}", weights[i], n, k);
            cur = g.Node("MatMul", new[] { cur, w }, $"y{i}");
        }
        g.Output(cur, m, k);
        // Without spinning workers (see OnnxPeerBenchmark: ORT's spinning threads slow the engine's next run).
        using var options = OnnxPeerBenchmark.OrtOptions(threads, spinning: false);
        using var session = new InferenceSession(g.ToModelBytes(VitOnnxExport.IrVersion, VitOnnxExport.Opset, "Engine.Perf.OnnxPeer", "matmul_chain"), options);
        var theirs = new float[m * k];
        using var input = OrtValue.CreateTensorValueFromMemory(x0, new long[] { m, k });
        using var result = OrtValue.CreateTensorValueFromMemory(theirs, new long[] { m, k });
        using var runOptions = new RunOptions();
        var inNames = new[] { "x" }; var inputs = new[] { input }; var outNames = new[] { cur }; var outputs = new[] { result };

        float[] Ours()
        {
            var src = x0;
            for (int i = 0; i < Products; i++)
            {
                var dst = i % 2 == 0 ? bufN : bufK;
                Gemm.SgemmPackedB(m, i % 2 == 0 ? n : k, i % 2 == 0 ? k : n, 1f, src, 0, i % 2 == 0 ? k : n, packed[i], 0f, dst, 0, i % 2 == 0 ? n : k);
                src = dst;
            }
            return src;
        }
        void Theirs() => session.Run(runOptions, inNames, inputs, outNames, outputs);
        var ours = Ours(); Theirs(); Ours(); Theirs();
        double diff = OnnxPeerBenchmark.MaxRelativeDiff(ours, theirs);
        if (!(diff <= OnnxPeerBenchmark.Tolerance)) throw new OutputMismatchException($"gemm chain {m}x{k}x{n}: outputs differ by {diff:E2} of max|y|.");

        var pause = TimeSpan.FromMilliseconds(30);
        var t = InterleavedTiming.Run(new InterleavedTiming.Side[] { new(() => Ours(), pause), new(Theirs, pause) }, warmup: 0, rounds);
        foreach (var p in packed) p.Dispose();
        var (us, them) = (t[0], t[1]);
        double flop = 2.0 * m * n * k * Products / 1e6;
        output.WriteLine(FormattableString.Invariant(
            $"gemm chain {m}x{k}x{n} x{Products} ({rounds} rounds, {threads} threads): engine {flop / us.MedianMs:F1} GFLOPS (best {flop / us.BestMs:F1}), onnxruntime {flop / them.MedianMs:F1} (best {flop / them.BestMs:F1}); engine/ort time: median {us.MedianMs / them.MedianMs:F3}, best {us.BestMs / them.BestMs:F3}"));
    }
}
