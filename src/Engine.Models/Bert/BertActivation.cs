namespace Engine.Models.Bert;

/// <summary>Maps HF <c>hidden_act</c> names to ops (HF's ACT2FN subset that BERT checkpoints use).</summary>
public static class BertActivation
{
    public static Func<Tensor, Tensor> Resolve(string name, string source = "config") => name switch
    {
        "gelu" => Ops.Gelu,                          // exact erf form (PubMedBERT / BiomedBERT)
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Ops.GeluTanh,
        "relu" => Ops.Relu,
        "quick_gelu" => Ops.QuickGelu,
        "tanh" => Ops.Tanh,
        _ => throw new NotSupportedException($"{source}: hidden_act '{name}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, quick_gelu, tanh)."),
    };
}
