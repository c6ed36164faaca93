using Xunit;

namespace Engine.Core.Tests;

/// <summary>Tensor.WithoutRandomInit: zeros instead of draws inside the scope (the generator untouched), draws
/// again after it, per thread.</summary>
public class RandomInitTests
{
    [Fact]
    public void Inside_the_scope_init_gives_zeros_and_leaves_the_generator_alone()
    {
        var skipped = new Random(7);
        float[] u, n;
        using (Tensor.WithoutRandomInit())
        {
            u = Tensor.Uniform(skipped, -1f, 1f, 3, 5).ToArray();
            using (Tensor.WithoutRandomInit()) n = Tensor.Randn(skipped, 4, 2).ToArray();
            Assert.All(Tensor.Uniform(skipped, 0.5f, 1f, 6).ToArray(), v => Assert.Equal(0f, v)); // still inside the outer scope
        }
        Assert.Equal(15, u.Length);
        Assert.All(u, v => Assert.Equal(0f, v));
        Assert.All(n, v => Assert.Equal(0f, v));

        // After the scope: real draws, and the generator continues exactly where a fresh one starts.
        var after = Tensor.Uniform(skipped, -1f, 1f, 3, 5).ToArray();
        var fresh = Tensor.Uniform(new Random(7), -1f, 1f, 3, 5).ToArray();
        Assert.Equal(fresh, after);
        Assert.Contains(after, v => v != 0f);
    }

    [Fact]
    public void The_scope_is_per_thread()
    {
        float[]? other = null;
        using (Tensor.WithoutRandomInit())
        {
            var thread = new Thread(() => other = Tensor.Randn(new Random(3), 8).ToArray());
            thread.Start();
            thread.Join();
        }
        Assert.Contains(other!, v => v != 0f);
    }
}
