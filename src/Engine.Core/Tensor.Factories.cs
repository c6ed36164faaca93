namespace Engine;

public sealed partial class Tensor
{
    public static Tensor Empty(DType dtype, Device device, params int[] shape)
    {
        var s = Backends.BackendRegistry.Get(device).Allocate(dtype, Engine.Shape.Numel(shape), clear: false);
        TensorScope.Track(s);
        return new Tensor(s, shape);
    }

    public static Tensor Zeros(params int[] shape) => Zeros(DType.F32, Device.Cpu, shape);

    public static Tensor Zeros(DType dtype, Device device, params int[] shape)
    {
        var s = Backends.BackendRegistry.Get(device).Allocate(dtype, Engine.Shape.Numel(shape), clear: true);
        TensorScope.Track(s);
        return new Tensor(s, shape);
    }

    public static Tensor ZerosLike(Tensor t) => Zeros(t.DType, t.Device, (int[])t.Shape.Clone());

    public static Tensor Full(float value, params int[] shape)
    {
        var t = Zeros(shape);
        ((CpuStorage)t.Storage).Floats.Fill(value);
        return t;
    }

    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>Wraps (does not copy) a float array as a contiguous CPU tensor.</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        CheckCount(data.Length, shape);
        return new Tensor(CpuStorage.Wrap(data), shape);
    }

    public static Tensor FromArray(long[] data, params int[] shape)
    {
        CheckCount(data.Length, shape);
        return new Tensor(CpuStorage.Wrap(data), shape);
    }

    public static Tensor FromArray(int[] data, params int[] shape)
    {
        CheckCount(data.Length, shape);
        return new Tensor(CpuStorage.Wrap(data), shape);
    }

    public static Tensor Scalar(float v) => FromArray(new[] { v });

    public static Tensor Arange(int n)
    {
        var d = new float[n];
        for (int i = 0; i < n; i++) d[i] = i;
        return FromArray(d, n);
    }

    /// <summary>Standard normal samples from a seeded generator (Box-Muller), for initialisation and tests (zeros
    /// inside <see cref="WithoutRandomInit"/>).</summary>
    public static Tensor Randn(Random rng, params int[] shape)
    {
        var d = new float[Engine.Shape.Numel(shape)];
        if (SkipRandomInit) return FromArray(d, shape);
        for (int i = 0; i < d.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            d[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < d.Length) d[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return FromArray(d, shape);
    }

    /// <summary>Uniform samples in [low, high) from a seeded generator (zeros inside <see cref="WithoutRandomInit"/>).</summary>
    public static Tensor Uniform(Random rng, float low, float high, params int[] shape)
    {
        var d = new float[Engine.Shape.Numel(shape)];
        if (SkipRandomInit) return FromArray(d, shape);
        for (int i = 0; i < d.Length; i++) d[i] = low + (float)rng.NextDouble() * (high - low);
        return FromArray(d, shape);
    }

    private static void CheckCount(long n, int[] shape)
    {
        if (Engine.Shape.Numel(shape) != n)
            throw new ArgumentException($"{n} values do not fill shape {Engine.Shape.Format(shape)} ({Engine.Shape.Numel(shape)} elements).");
    }

    // ---------------------------------------------------------------- reading back

    /// <summary>Copies the elements in logical (row-major) order to a new float array (any device).</summary>
    public float[] ToArray()
    {
        if (DType != DType.F32) throw new InvalidOperationException($"ToArray() reads float32; this tensor is {DType}. Use ToInt64Array().");
        var c = To(Device.Cpu).Contiguous();
        return ((CpuStorage)c.Storage).Floats.Slice((int)c.Offset, (int)c.Numel).ToArray();
    }

    public long[] ToInt64Array()
    {
        var c = To(Device.Cpu).Contiguous();
        return c.DType switch
        {
            DType.I64 => ((CpuStorage)c.Storage).Longs.Slice((int)c.Offset, (int)c.Numel).ToArray(),
            DType.I32 => Array.ConvertAll(((CpuStorage)c.Storage).Ints.Slice((int)c.Offset, (int)c.Numel).ToArray(), x => (long)x),
            DType.U8 or DType.Bool => Array.ConvertAll(((CpuStorage)c.Storage).Bytes.Slice((int)c.Offset, (int)c.Numel).ToArray(), x => (long)x),
            DType.F32 => Array.ConvertAll(c.ToArray(), x => (long)x),
            _ => throw new NotSupportedException(c.DType.ToString()),
        };
    }

    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs exactly one element, shape is {Engine.Shape.Format(Shape)}.");
        return ToArray()[0];
    }

    /// <summary>Contiguous float span of a CPU tensor (throws if the tensor is not contiguous CPU float32).</summary>
    public Span<float> AsSpan()
    {
        if (Storage is not CpuStorage cs || !IsContiguous) throw new InvalidOperationException("AsSpan() needs a contiguous CPU tensor; call Contiguous()/To(Device.Cpu) first.");
        return cs.Floats.Slice((int)Offset, (int)Numel);
    }

    /// <summary>Moves (copies) to another device; returns this when already there.</summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        // Ids and masks (integer/bool dtypes) live on the host on every backend: index kernels take host indices,
        // so moving them is a no-op rather than an error.
        if (DType != DType.F32 && Device == Device.Cpu) return this;
        var src = Contiguous();
        var dst = Backends.BackendRegistry.Get(device).Allocate(DType, Numel, clear: false);
        Backends.BackendRegistry.Copy(src.Storage, src.Offset, dst, 0, Numel);
        var r = new Tensor(dst, (int[])Shape.Clone());
        return r.WithGrad("to", new[] { this }, g => new[] { g.To(Device) });
    }
}
