using Xunit;

namespace Engine.Weights.Tests;

internal static class TensorAssert
{
    /// <summary>Same dtype, shape and bit pattern of every element (NaN payloads included).</summary>
    public static void BitEqual(Tensor expected, Tensor actual, string name)
    {
        Assert.True(expected.DType == actual.DType, $"{name}: dtype {actual.DType}, expected {expected.DType}");
        Assert.True(expected.Shape.AsSpan().SequenceEqual(actual.Shape), $"{name}: shape {Shape.Format(actual.Shape)}, expected {Shape.Format(expected.Shape)}");
        if (expected.DType == DType.F32)
        {
            var a = expected.ToArray();
            var b = actual.ToArray();
            for (int i = 0; i < a.Length; i++)
                if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
                    Assert.Fail($"{name}: element {i} is {b[i]:R}, expected {a[i]:R}");
        }
        else Assert.Equal(expected.ToInt64Array(), actual.ToInt64Array());
    }
}
