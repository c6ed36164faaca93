using Engine.Models.Loading;
using Engine.Nn;

namespace Engine.Models.Clip;

/// <summary>
/// CLIPVisionEmbeddings / CLIPSegVisionEmbeddings (keys class_embedding, patch_embedding.weight, position_embedding.weight):
/// patch conv (kernel = stride = patch, no bias), grid flattened row-major, class token prepended, position table
/// added. With <see cref="InterpolatePositions"/> (CLIPSeg) a different token grid gets the table's patch rows resized
/// bicubically (class row kept); without it (plain CLIP of transformers 4.40.2) a different grid is an error.
/// </summary>
public sealed class ClipVisionEmbeddings : Module
{
    public ClipVisionEmbeddings(ClipVisionConfig config, bool interpolatePositions, Random? rng = null)
    {
        Config = config;
        InterpolatePositions = interpolatePositions;
        rng ??= new Random(0);
        ClassEmbedding = AddParameter("class_embedding", Tensor.Randn(rng, config.HiddenSize));
        PatchEmbedding = Add("patch_embedding", new Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false, rng: rng));
        PositionEmbedding = Add("position_embedding", new Embedding(config.GridSize * config.GridSize + 1, config.HiddenSize, rng));
    }

    public ClipVisionConfig Config { get; }
    public bool InterpolatePositions { get; }
    public Parameter ClassEmbedding { get; }
    public Conv2d PatchEmbedding { get; }
    public Embedding PositionEmbedding { get; }

    public int NumPositions => PositionEmbedding.Weight.Shape[0];

    /// <summary>pixelValues [B, C, H, W] -> [B, 1 + gh*gw, hidden]. Records "interpolated_position_embedding" when the table is resized.</summary>
    public Tensor Forward(Tensor pixelValues, IntermediateSink? sink = null)
    {
        var c = Config;
        if (pixelValues.Rank != 4 || pixelValues.Shape[1] != c.NumChannels)
            throw new ArgumentException($"pixel_values must be [batch, {c.NumChannels}, height, width] (found {Shape.Format(pixelValues.Shape)}).");
        if (pixelValues.Shape[2] < c.PatchSize || pixelValues.Shape[3] < c.PatchSize)
            throw new ArgumentException($"Images of {pixelValues.Shape[2]}x{pixelValues.Shape[3]} are smaller than one {c.PatchSize}x{c.PatchSize} patch.");
        int b = pixelValues.Shape[0];
        int gh = pixelValues.Shape[2] / c.PatchSize, gw = pixelValues.Shape[3] / c.PatchSize;
        var tokens = PatchEmbedding.ForwardTokens(pixelValues);        // [B, gh*gw, C]
        var cls = ClassEmbedding.Value.Reshape(1, 1, c.HiddenSize).Expand(b, 1, c.HiddenSize);
        var emb = Ops.Cat(new[] { cls, tokens }, 1);
        int n = gh * gw + 1;
        Tensor pos;
        if (n == NumPositions) pos = PositionEmbedding.Weight.Value;
        else
        {
            if (!InterpolatePositions)
                throw new ArgumentException($"Images of {pixelValues.Shape[2]}x{pixelValues.Shape[3]} give {gh}x{gw} patches but this CLIP vision model has a {c.GridSize}x{c.GridSize} position table (image_size {c.ImageSize}); plain CLIP vision models do not interpolate positions. Resize the images to {c.ImageSize}x{c.ImageSize}.");
            if (gh != gw)
                throw new ArgumentException($"Position interpolation needs a square patch grid (images give {gh}x{gw}); resize the images to a square size.");
            pos = Engine.Autograd.GradMode.IsEnabled ? InterpolatedPositionTable(gh) : CachedPositionTable(gh);
            sink?.Add("interpolated_position_embedding", pos);
        }
        return Ops.Add(emb, pos);
    }

    /// <summary>The resized table depends only on the position weights and the grid, yet costs two batched matmuls
    /// and copies (~6 ms of a 352 px CLIPSeg forward): without gradient recording it is kept for the last grid and
    /// remade when the weight is replaced or updated in place (<see cref="Parameter.Version"/>).</summary>
    private Tensor CachedPositionTable(int g)
    {
        var weight = PositionEmbedding.Weight;
        var cached = _positionCache;
        if (cached is not null && cached.Grid == g && cached.From.Matches(weight)) return cached.Table;
        var from = ParameterStamp.Of(weight); // before resizing: a change meanwhile shows as stale
        var table = TensorScope.Persist(InterpolatedPositionTable(g)); // a caller's TensorScope must not release the cache
        _positionCache = new PositionCache(from, g, table);
        return table;
    }

    private sealed record PositionCache(ParameterStamp From, int Grid, Tensor Table);
    private PositionCache? _positionCache;

    /// <summary>Position table for a g x g grid: row 0 kept, rows 1.. laid out as [C, g0, g0] and bicubically resized to [C, g, g].</summary>
    public Tensor InterpolatedPositionTable(int g)
    {
        int g0 = (int)Math.Round(Math.Sqrt(NumPositions - 1));
        if (g0 * g0 != NumPositions - 1) throw new InvalidOperationException($"Position table of {NumPositions} rows is not 1 + a square grid.");
        int hidden = Config.HiddenSize;
        var table = PositionEmbedding.Weight.Value;
        var grid = table.Slice(0, 1, NumPositions).Transpose(0, 1).Reshape(hidden, g0, g0);
        var resized = BicubicResize.Resize(grid, g, g);                // [C, g, g]
        var rows = resized.Reshape(hidden, g * g).Transpose(0, 1);     // [g*g, C]
        return Ops.Cat(new[] { table.Slice(0, 0, 1), rows }, 0);
    }
}
