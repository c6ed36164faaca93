using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>CRIS's <c>linear_layer(in, out)</c> = Sequential(Linear without bias, BatchNorm1d, ReLU): keys <c>0.weight</c>
/// and <c>1.*</c>. The batch norm normalises each feature over the batch in training mode.</summary>
public sealed class CrisLinearLayer : Module
{
    public CrisLinearLayer(int inFeatures, int outFeatures, Random? rng = null)
    {
        Linear = Add("0", new Linear(inFeatures, outFeatures, bias: false, rng: rng));
        Norm = Add("1", new BatchNorm2d(outFeatures)); // Ops.BatchNorm handles [N, C] like BatchNorm1d
    }

    public Linear Linear { get; }
    public BatchNorm2d Norm { get; }

    public Tensor Forward(Tensor x) => Ops.Relu(Norm.Forward(Linear.Forward(x)));
}
