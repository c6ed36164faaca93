namespace Engine.Models.Bert;

/// <summary>
/// The dropout stream of a model: one <see cref="Random"/> shared by every dropout site (passed down at construction)
/// whose state can be reset with <see cref="Reseed"/>, so a trainer can make text-tower dropout a function of
/// (seed, step) and resume a run bit-for-bit.
/// </summary>
public sealed class ReseedableRandom : Random
{
    private Random _inner;

    public ReseedableRandom(int seed) { _inner = new Random(seed); }

    public void Reseed(int seed) => _inner = new Random(seed);

    public override int Next() => _inner.Next();
    public override int Next(int maxValue) => _inner.Next(maxValue);
    public override int Next(int minValue, int maxValue) => _inner.Next(minValue, maxValue);
    public override long NextInt64() => _inner.NextInt64();
    public override long NextInt64(long maxValue) => _inner.NextInt64(maxValue);
    public override long NextInt64(long minValue, long maxValue) => _inner.NextInt64(minValue, maxValue);
    public override double NextDouble() => _inner.NextDouble();
    public override float NextSingle() => _inner.NextSingle();
    public override void NextBytes(byte[] buffer) => _inner.NextBytes(buffer);
    public override void NextBytes(Span<byte> buffer) => _inner.NextBytes(buffer);
    protected override double Sample() => _inner.NextDouble();
}
