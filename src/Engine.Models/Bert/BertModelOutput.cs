namespace Engine.Models.Bert;

/// <summary>What <see cref="BertModel.Forward"/> returns. <see cref="HiddenStates"/> (index 0 = embeddings output,
/// i = output of layer i-1) and <see cref="Attentions"/> ([B, H, T, T] per layer) are filled only when asked.</summary>
public sealed record BertModelOutput(
    Tensor LastHiddenState,
    Tensor? PoolerOutput,
    IReadOnlyList<Tensor> HiddenStates,
    IReadOnlyList<Tensor> Attentions);
