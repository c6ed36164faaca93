using Engine.Models.Bert;
using Engine.Nn;

namespace Engine.Models.BiomedClip;

/// <summary>What the text tower computed; intermediates are filled only when asked.</summary>
public sealed record HfTextTowerOutput(Tensor Features, Tensor Pooled, Tensor? ProjHidden, BertModelOutput Bert);

/// <summary>
/// open_clip <c>HFTextEncoder</c> for BiomedCLIP (keys transformer.*, proj.*): BERT without its pooling layer, the
/// attention mask recomputed as ids != pad (open_clip ignores any tokenizer mask), CLS pooling of the last hidden
/// state (<c>cls_last_hidden_state_pooler</c>), then the MLP projection.
/// </summary>
public sealed class HfTextTower : Module
{
    public HfTextTower(BertConfig bert, int embedDim, Random rng, int seed)
    {
        if (bert.AddPoolingLayer) bert = bert with { AddPoolingLayer = false };
        Transformer = Add("transformer", new BertModel(bert, seed));
        Proj = Add("proj", new MlpProjection(bert.HiddenSize, embedDim, rng));
    }

    public BertModel Transformer { get; }
    public MlpProjection Proj { get; }
    public int PadTokenId => Transformer.Config.PadTokenId ?? 0;

    public HfTextTowerOutput Forward(Tensor inputIds, bool keepIntermediates = false)
    {
        // Only the CLS row is read unless intermediates are kept: trailing columns that are [PAD] in every row are
        // masked keys and unread queries, so dropping them gives the same features for a fraction of the work
        // (open_clip pads every prompt to 256 tokens).
        if (!keepIntermediates) inputIds = TrimTrailingPadding(inputIds, PadTokenId);
        var mask = BertMasks.FromPadding(inputIds, PadTokenId);
        var bert = Transformer.Forward(inputIds, mask, tokenTypeIds: null, outputHiddenStates: keepIntermediates);
        var pooled = bert.LastHiddenState.Select(1, 0);
        var features = Proj.Forward(pooled, out var hidden);
        return new HfTextTowerOutput(features, pooled, keepIntermediates ? hidden : null, bert);
    }

    /// <summary>ids [B, T] without the trailing columns that hold only <paramref name="pad"/> (at least one column kept).</summary>
    private static Tensor TrimTrailingPadding(Tensor ids, int pad)
    {
        if (ids.Rank != 2) return ids;
        int b = ids.Shape[0], t = ids.Shape[1];
        var v = ids.ToInt64Array();
        int keep = 1;
        for (int r = 0; r < b; r++)
            for (int j = t - 1; j >= keep; j--)
                if (v[(long)r * t + j] != pad) { keep = j + 1; break; }
        return keep == t ? ids : ids.Slice(1, 0, keep);
    }
}
