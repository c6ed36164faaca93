namespace Engine.Perf;

/// <summary>One timed workload of a model benchmark: <see cref="Step"/> runs a whole iteration (e.g. a forward pass
/// under NoGrad, or zero-grad + forward + backward) over <see cref="Items"/> items (images or texts).</summary>
/// <param name="Mode">"forward", "fwd+bwd decoder" (encoders frozen, as CLIPSeg fine-tuning), "fwd+bwd all", "encode_image", ...</param>
/// <param name="Unit">what an item is ("image" or "text").</param>
public sealed record ModelBenchCase(string Mode, int Batch, int Items, string Unit, Action Step);
