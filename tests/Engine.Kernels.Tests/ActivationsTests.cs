using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Kernels.Tests;

public class ActivationsTests
{
    private static float[] Inputs()
    {
        var x = TestData.Random(1003, 11, 6f); // odd length exercises the tail
        x[0] = 0; x[1] = -10; x[2] = 10; x[3] = 1e-6f; x[4] = -30;
        return x;
    }

    [Fact]
    public void ReferenceErfIsAccurate()
    {
        Assert.Equal(0.8427007929497149, ActivationsReference.Erf(1), 14);
        Assert.Equal(-0.9953222650189527, ActivationsReference.Erf(-2), 14);
        Assert.Equal(0.9999999845827421, ActivationsReference.Erf(4), 14);
    }

    [Fact]
    public void GeluAndGradientMatchReference()
    {
        var x = Inputs();
        var y = new float[x.Length];
        Activations.Gelu(x, y);
        var g = TestData.Random(x.Length, 12);
        var dx = new float[x.Length];
        Activations.GeluBackward(x, g, dx);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - ActivationsReference.Gelu(x[i])) <= 1e-6 + 1e-6 * Math.Abs(x[i]), $"gelu({x[i]}) = {y[i]}");
            Assert.True(Math.Abs(dx[i] - g[i] * ActivationsReference.GeluGrad(x[i])) <= 2e-6, $"gelu'({x[i]})");
        }
        // in place
        var z = (float[])x.Clone();
        Activations.Gelu(z, z);
        Assert.Equal(y, z);
    }

    [Fact]
    public void QuickGeluAndGradientMatchReference()
    {
        var x = Inputs();
        var y = new float[x.Length];
        Activations.QuickGelu(x, y);
        var g = TestData.Random(x.Length, 13);
        var dx = new float[x.Length];
        Activations.QuickGeluBackward(x, g, dx);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - ActivationsReference.QuickGelu(x[i])) <= 1e-6 + 1e-6 * Math.Abs(x[i]), $"quick_gelu({x[i]}) = {y[i]}");
            Assert.True(Math.Abs(dx[i] - g[i] * ActivationsReference.QuickGeluGrad(x[i])) <= 2e-6, $"quick_gelu'({x[i]})");
        }
    }

    [Theory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.QuickGelu)]
    public void BiasActivationMatchesReference(Activation act)
    {
        int rows = 7, cols = 13;
        var x = TestData.Random(rows * cols, 3, 4f);
        var bias = TestData.Random(cols, 4);
        var y = (float[])x.Clone();
        Activations.BiasActivation(y, bias, act);
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
        {
            double v = (double)x[r * cols + c] + bias[c];
            double want = act switch
            {
                Activation.Relu => Math.Max(v, 0),
                Activation.Gelu => ActivationsReference.Gelu(v),
                Activation.QuickGelu => ActivationsReference.QuickGelu(v),
                _ => v,
            };
            Assert.True(Math.Abs(y[r * cols + c] - want) <= 2e-6 + 1e-6 * Math.Abs(want), $"{act} at ({r},{c})");
        }
    }

    [Fact]
    public void ReluKeepsNaN()
    {
        var x = new[] { float.NaN, -1f, 2f };
        Activations.BiasActivation(x, new float[3], Activation.Relu);
        Assert.True(float.IsNaN(x[0]));
        Assert.Equal(0f, x[1]);
        Assert.Equal(2f, x[2]);
    }
}
