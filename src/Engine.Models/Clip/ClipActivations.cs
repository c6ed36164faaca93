using Engine.Backends;

namespace Engine.Models.Clip;

/// <summary>transformers' ACT2FN names used by CLIP-style configs.</summary>
public static class ClipActivations
{
    private static readonly string[] Known = { "quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu" };

    /// <summary>The activation kind for a config name (what a fused Linear epilogue applies).</summary>
    public static UnaryOp Kind(string name) => name switch
    {
        "quick_gelu" => UnaryOp.QuickGelu,
        "gelu" => UnaryOp.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" => UnaryOp.GeluTanh,
        "relu" => UnaryOp.Relu,
        _ => throw new NotSupportedException($"Activation '{name}' is not supported (known: {string.Join(", ", Known)})."),
    };

    public static void Check(string name, string source)
    {
        if (!Known.Contains(name)) throw new InvalidDataException($"{source}: hidden_act '{name}' is not supported (known: {string.Join(", ", Known)}).");
    }
}
