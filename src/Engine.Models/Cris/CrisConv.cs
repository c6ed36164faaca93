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

    /// <summary>One convolution as run: input shape, weight shape, padding, groups, bias.</summary>
    public sealed record ConvCall(int[] InputShape, int[] WeightShape, int Padding, int Groups, bool Bias, double ForwardMs);

    public static Tensor Apply(Conv2d conv, Tensor x)
    {
        if (_recorder is null) return conv.Forward(x);
        var sw = Stopwatch.StartNew();
        var y = conv.Forward(x);
        _recorder.Add(new ConvCall((int[])x.Shape.Clone(), (int[])conv.Weight.Shape.Clone(), conv.Padding, conv.Groups, conv.Bias != null, sw.Elapsed.TotalMilliseconds));
        return y;
    }

    /// <summary>The per-sample dynamic convolution of the projector (one grouped conv), recorded like the others.</summary>
    public static Tensor ApplyGrouped(Tensor x, Tensor weight, Tensor bias, int padding, int groups)
    {
        if (_recorder is null) return Ops.Conv2d(x, weight, bias, (1, 1), (padding, padding), (1, 1), groups);
        var sw = Stopwatch.StartNew();
        var y = Ops.Conv2d(x, weight, bias, (1, 1), (padding, padding), (1, 1), groups);
        _recorder.Add(new ConvCall((int[])x.Shape.Clone(), (int[])weight.Shape.Clone(), padding, groups, true, sw.Elapsed.TotalMilliseconds));
        return y;
    }

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
