using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>The decoder layer's <c>ffn</c> = Sequential(Linear d→f "0", ReLU "1", Dropout "2", LayerNorm(f) "3",
/// Linear f→d "4").</summary>
public sealed class CrisFfn : Module
{
    public CrisFfn(int dModel, int dimFfn, float dropout, Random? rng = null)
    {
        DropoutP = dropout;
        Fc1 = Add("0", new Linear(dModel, dimFfn, rng: rng));
        Norm = Add("3", new LayerNorm(dimFfn));
        Fc2 = Add("4", new Linear(dimFfn, dModel, rng: rng));
        _rng = new Random((rng ?? new Random(0)).Next());
    }

    private readonly Random _rng;

    public float DropoutP { get; }
    public Linear Fc1 { get; }
    public LayerNorm Norm { get; }
    public Linear Fc2 { get; }

    public Tensor Forward(Tensor x) => Fc2.Forward(Norm.Forward(Ops.Dropout(Ops.Relu(Fc1.Forward(x)), DropoutP, Training, _rng)));
}
