namespace Engine.Models.Clip;

/// <summary>transformers' ACT2FN names used by CLIP-style configs.</summary>
public static class ClipActivations
{
    private static readonly string[] Known = { "quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu" };

    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "quick_gelu" => Ops.QuickGelu,
        "gelu" => Ops.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" => Ops.GeluTanh,
        "relu" => Ops.Relu,
        _ => throw new NotSupportedException($"Activation '{name}' is not supported (known: {string.Join(", ", Known)})."),
    };

    public static void Check(string name, string source)
    {
        if (!Known.Contains(name)) throw new InvalidDataException($"{source}: hidden_act '{name}' is not supported (known: {string.Join(", ", Known)}).");
    }
}
