using System.Diagnostics;
using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>
/// Every CRIS convolution goes through <see cref="Apply"/>, so a benchmark can list the convolution shapes one forward
/// pass runs (<see cref="Record"/>) and time them in isolation. Recording is off unless a recorder is installed on the
/// calling thread; the normal path is a plain call.
/// </summary>
public static class CrisConv
{
    [ThreadStatic] private static List<ConvCall>? _recorder;

    /// <summary>One convolution as run: input shape, weight shape, stride, padding, groups, bias, whether the input needed
    /// a gradient (false for the images), and its forward time.</summary>
    /// <param name="ForwardCpuMs">process CPU time (all threads) of the call — robust on a machine shared with other work.</param>
    public sealed record ConvCall(int[] InputShape, int[] WeightShape, int Stride, int Padding, int Groups, bool Bias, bool InputRequiresGrad, double ForwardMs, double ForwardCpuMs)
    {
        public int OutH => (InputShape[2] + 2 * Padding - WeightShape[2]) / Stride + 1;
        public int OutW => (InputShape[3] + 2 * Padding - WeightShape[3]) / Stride + 1;
        /// <summary>2·multiply-adds of one pass.</summary>
        public double Flops => 2.0 * InputShape[0] * WeightShape[0] * OutH * OutW * WeightShape[1] * WeightShape[2] * WeightShape[3];
    }

    public static Tensor Apply(Conv2d conv, Tensor x)
    {
        if (_recorder is null) return conv.Forward(x);
        var cpu = CpuMs(); var sw = Stopwatch.StartNew();
        var y = conv.Forward(x);
        _recorder.Add(new ConvCall((int[])x.Shape.Clone(), (int[])conv.Weight.Shape.Clone(), conv.Stride, conv.Padding, conv.Groups, conv.Bias != null, x.RequiresGrad, sw.Elapsed.TotalMilliseconds, CpuMs() - cpu));
        return y;
    }

    /// <summary>The per-sample dynamic convolution of the projector (one grouped conv), recorded like the others.</summary>
    public static Tensor ApplyGrouped(Tensor x, Tensor weight, Tensor bias, int padding, int groups)
    {
        if (_recorder is null) return Ops.Conv2d(x, weight, bias, (1, 1), (padding, padding), (1, 1), groups);
        var cpu = CpuMs(); var sw = Stopwatch.StartNew();
        var y = Ops.Conv2d(x, weight, bias, (1, 1), (padding, padding), (1, 1), groups);
        _recorder.Add(new ConvCall((int[])x.Shape.Clone(), (int[])weight.Shape.Clone(), 1, padding, groups, true, x.RequiresGrad, sw.Elapsed.TotalMilliseconds, CpuMs() - cpu));
        return y;
    }

    /// <summary>Process CPU time in milliseconds (user + kernel, all threads; getrusage resolution).</summary>
    public static double CpuMs() => Environment.CpuUsage.TotalTime.TotalMilliseconds;

    /// <summary>Runs <paramref name="body"/> recording the convolutions it calls on this thread.</summary>
    public static List<ConvCall> Record(Action body)
    {
        var previous = _recorder;
        var list = new List<ConvCall>();
        _recorder = list;
        try { body(); }
        finally { _recorder = previous; }
        return list;
    }
}
